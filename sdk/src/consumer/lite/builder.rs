//! [`LitePullConsumerBuilder`]: Java's `DefaultLitePullConsumer` settings, as a builder.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::state::{Mode, Settings, Shared};
use super::{Handle, LitePullConsumer, pulling};
use crate::client::{ConsumerGroup, GroupRegistration};
use crate::consumer::BrokerAnswer;
use crate::consumer::client_choice::{ClientChoice, client_setters};
use crate::consumer::fetch::Fetcher;
use crate::consumer::group_setters::group_setters;
use crate::consumer::loops::PullLoops;
use crate::consumer::offset::{LocalStore, OffsetStore, RemoteStore, local};
use crate::consumer::process_queue::QueueRoot;
use crate::consumer::pull::DEFAULT_GROUP;
use crate::consumer::subscription::Expression;
use crate::consumer::tasks::TaskSet;
use crate::consumer::{AllocateStrategy, Averagely, MessageModel};
use crate::producer::{check_group, check_topic};
use crate::protocol::body::{ConsumeType, ConsumerData};
use crate::{Error, Result};

/// Builds a [`LitePullConsumer`]. Every setter documents its default, which is Java's.
#[must_use]
pub struct LitePullConsumerBuilder {
    client: ClientChoice,
    group: String,
    subscriptions: Vec<(String, Expression)>,
    strategy: Arc<dyn AllocateStrategy>,
    settings: Settings,
}

impl Default for LitePullConsumerBuilder {
    fn default() -> Self {
        Self {
            client: ClientChoice::default(),
            group: DEFAULT_GROUP.to_owned(),
            subscriptions: Vec::new(),
            strategy: Arc::new(Averagely),
            settings: Settings::default(),
        }
    }
}

/// The lite consumer's entry in the client's consumer table (heartbeat data).
struct LiteGroup {
    shared: Weak<Shared>,
    group: String,
}

impl ConsumerGroup for LiteGroup {
    fn consumer_data(&self) -> ConsumerData {
        let Some(shared) = self.shared.upgrade() else {
            return ConsumerData {
                group_name: self.group.clone(),
                ..ConsumerData::default()
            };
        };
        let subscriptions = if *shared.mode() == Mode::Subscribe {
            shared.subscriptions().values().cloned().collect()
        } else {
            Vec::new()
        };
        ConsumerData {
            group_name: shared.group.clone(),
            consume_type: Some(ConsumeType::Pull),
            message_model: Some(shared.settings.model.java()),
            consume_from_where: Some(shared.settings.consume_from.java()),
            subscription_data_set: subscriptions,
            unit_mode: false,
        }
    }

    fn rebalance_soon(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.rebalance_now.notify_one();
        }
    }

    fn handle_request(
        &self,
        _ctx: crate::remoting::RequestContext,
        request: crate::protocol::RemotingCommand,
    ) -> Option<BrokerAnswer> {
        let shared = self.shared.upgrade()?;
        if request.code == crate::protocol::RequestCode::NOTIFY_CONSUMER_IDS_CHANGED.0 {
            shared.rebalance_now.notify_one();
            return Some(Box::pin(async { Ok(None) }));
        }
        None
    }
}

impl LitePullConsumerBuilder {
    client_setters!();
    group_setters!();

    /// Messages asked for per pull (and so the largest batch a poll returns). Default: 10.
    pub fn pull_batch_size(mut self, messages: i32) -> Self {
        self.settings.pull_batch_size = messages;
        self
    }

    /// Pulled messages waiting for `poll`, over all queues, before pulling pauses.
    /// Default: 10 000.
    pub fn pull_threshold_for_all(mut self, messages: usize) -> Self {
        self.settings.pull_threshold_for_all = messages;
        self
    }

    /// How long [`poll`](LitePullConsumer::poll) waits. Default: 5 s.
    pub fn poll_timeout(mut self, timeout: Duration) -> Self {
        self.settings.poll_timeout = timeout;
        self
    }

    /// Commit polled positions automatically. Default: on.
    pub fn auto_commit(mut self, on: bool) -> Self {
        self.settings.auto_commit = on;
        self
    }

    /// Time between automatic commits (and offset writes). Default: 5 s.
    pub fn auto_commit_interval(mut self, every: Duration) -> Self {
        self.settings.auto_commit_interval = every;
        self
    }

    /// How long the broker may hold a pull when nothing is there. Default: 20 s.
    pub fn broker_suspend(mut self, time: Duration) -> Self {
        self.settings.broker_suspend = time;
        self
    }

    /// Time a pull may take in all; must exceed the broker suspend time. Default: 30 s.
    pub fn suspend_timeout(mut self, timeout: Duration) -> Self {
        self.settings.suspend_timeout = timeout;
        self
    }

    /// Directory of the broadcasting offsets file. Default: as the push consumer's.
    pub fn offset_store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.settings.offset_store_dir = Some(dir.into());
        self
    }

    /// Builds the consumer and, with subscriptions, starts rebalancing and pulling. Fails
    /// with [`Error::Config`] (a setting out of range, no name server, the group already
    /// on the client) or [`Error::InvalidField`] (a name Java refuses).
    pub async fn build(self) -> Result<LitePullConsumer> {
        check_group(&self.group)?;
        if self.group == DEFAULT_GROUP {
            return Err(Error::Config(
                "consumerGroup can not equal DEFAULT_CONSUMER, please specify another one".into(),
            ));
        }
        let s = &self.settings;
        if !(1..=1024).contains(&s.pull_batch_size) || s.pull_threshold_for_all == 0 {
            return Err(Error::Config(
                "pull batch size (1..=1024) or threshold out of range".into(),
            ));
        }
        if s.suspend_timeout <= s.broker_suspend {
            return Err(Error::Config(
                "the suspend timeout must exceed the broker suspend time".into(),
            ));
        }
        for (topic, _) in &self.subscriptions {
            check_topic(topic)?;
        }
        let (client, owns_client) = self.client.build("lite pull consumer")?;
        let group = client.with_namespace(&self.group);
        let settings = self.settings;
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
        let mut subscriptions = BTreeMap::new();
        for (topic, expression) in &self.subscriptions {
            let topic = client.with_namespace(topic);
            subscriptions.insert(topic.clone(), expression.subscription(&topic));
        }
        let mode = if subscriptions.is_empty() {
            Mode::Unset
        } else {
            Mode::Subscribe
        };
        let batch = usize::try_from(settings.pull_batch_size)
            .unwrap_or(1)
            .max(1);
        let (tx, rx) = mpsc::channel((settings.pull_threshold_for_all / batch).max(1));
        let shared = Arc::new(Shared {
            fetcher: Fetcher::new(client.clone(), group.clone()),
            client: client.clone(),
            group: group.clone(),
            strategy: self.strategy,
            offsets,
            mode: Mutex::new(mode),
            subscriptions: Mutex::new(subscriptions),
            assigned: Mutex::default(),
            batches: tx,
            inbox: tokio::sync::Mutex::new(rx),
            pull_loops: PullLoops::default(),
            background: TaskSet::new(),
            queue_root: QueueRoot::default(),
            rebalance_now: Notify::new(),
            settings,
        });
        let member = Arc::new(LiteGroup {
            shared: Arc::downgrade(&shared),
            group: group.clone(),
        });
        let registration: GroupRegistration =
            client.register_consumer(&group, member as Arc<dyn ConsumerGroup>)?;
        let topics: Vec<String> = shared.subscriptions().keys().cloned().collect();
        for topic in topics {
            if let Err(err) = client.topic_route(&topic).await {
                tracing::debug!(topic, %err, "no route yet");
            }
        }
        client.send_heartbeat().await;
        start_loops(&shared);
        Ok(LitePullConsumer {
            handle: Arc::new(Handle {
                shared,
                owns_client,
                registration: Mutex::new(Some(registration)),
                closed: tokio::sync::OnceCell::new(),
            }),
        })
    }
}

/// The queues' pull loops, rebalance (subscribe mode) and automatic commits with offset
/// writes.
fn start_loops(shared: &Arc<Shared>) {
    let s = Arc::clone(shared);
    shared
        .background
        .spawn_cancellable(async move { s.pull_loops.drive().await });
    let s = Arc::clone(shared);
    shared.background.spawn_cancellable(async move {
        loop {
            pulling::rebalance(&s).await;
            tokio::select! {
                () = s.rebalance_now.notified() => {}
                () = tokio::time::sleep(s.settings.rebalance_interval) => {}
            }
        }
    });
    let s = Arc::clone(shared);
    shared.background.spawn_cancellable(async move {
        loop {
            tokio::time::sleep(s.settings.auto_commit_interval).await;
            if s.settings.auto_commit {
                s.commit_all();
            }
            let held = s.assigned().keys().cloned().collect();
            s.offsets.persist_all(&held, false).await;
        }
    });
}

impl fmt::Debug for LitePullConsumerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LitePullConsumerBuilder")
            .field("client", &self.client)
            .field("group", &self.group)
            .field("subscriptions", &self.subscriptions)
            .field("strategy", &self.strategy.name())
            .field("settings", &self.settings)
            .finish()
    }
}
