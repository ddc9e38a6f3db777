//! Helpers and scenarios shared by the SDK consumer tests (`sdk_consumer_*.rs`): where the
//! broker is ([`Target`]: a Java cluster of one release or an embedded broker-lite, with
//! or without the Java client next to the SDK), fresh topics and groups, an SDK producer,
//! recording listeners, checks, and one function per scenario in a module per family.
//! The test files are lists of `#[tokio::test]` functions picking a target and scenarios.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers; not every file uses all

pub(crate) mod broadcast;
pub(crate) mod features;
pub(crate) mod mixed;
mod names;
pub(crate) mod offsets;
pub(crate) mod orderly;
pub(crate) mod retry;
pub(crate) mod target;
pub(crate) mod with_java;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use interop::sdk_ops::{create_topic, wait_for_route};
use rocketmq::consumer::{
    ConsumeContext, ConsumeFrom, ConsumeStatus, MessageListener, OrderlyStatus, PullConsumer,
    PushConsumer, PushConsumerBuilder, ReceivedMessage,
};
use rocketmq::producer::{Producer, SendResult};
use rocketmq::protocol::MessageQueue;
use rocketmq::protocol::body::ConsumerRunningInfo;
use rocketmq::protocol::header::GetConsumerRunningInfoRequestHeader;
use rocketmq::protocol::message::Message;
use rocketmq::protocol::request::{GetConsumerRunningInfo, PullStatus};
use rocketmq::remoting::RemotingClient;
use tokio::sync::Notify;

pub(crate) use names::{now_millis, unique};
pub(crate) use target::Target;

/// Where the tests run: a name server and one broker (any implementation).
pub(crate) struct Env {
    pub(crate) label: String,
    pub(crate) namesrv: String,
    pub(crate) broker: String,
    pub(crate) broker_name: String,
    pub(crate) remoting: RemotingClient,
    /// How long a scenario waits for what it expects.
    pub(crate) limit: Duration,
}

impl Env {
    /// Waits for what a scenario expects up to 60 s.
    pub(crate) fn new(label: &str, namesrv: String, broker: String, broker_name: &str) -> Self {
        Env {
            label: label.to_owned(),
            namesrv,
            broker,
            broker_name: broker_name.to_owned(),
            remoting: RemotingClient::builder().build(),
            limit: Duration::from_secs(60),
        }
    }

    /// A fresh topic with `queues` queues, routed.
    pub(crate) async fn topic(&self, prefix: &str, queues: i32) -> anyhow::Result<String> {
        let topic = unique(prefix);
        create_topic(&self.remoting, &self.broker, &topic, queues).await?;
        wait_for_route(&self.remoting, &self.namesrv, &topic).await?;
        Ok(topic)
    }

    /// An SDK producer on this name server.
    pub(crate) async fn producer(&self) -> anyhow::Result<Producer> {
        Ok(Producer::builder()
            .namesrv_addr(self.namesrv.as_str())
            .group(unique("h7_pg"))
            .build()
            .await?)
    }

    /// A producer with automatic batching on.
    pub(crate) async fn batching_producer(&self) -> anyhow::Result<Producer> {
        Ok(Producer::builder()
            .namesrv_addr(self.namesrv.as_str())
            .group(unique("h7_pg"))
            .auto_batch(true)
            .build()
            .await?)
    }

    /// Sends `count` messages (`body-<i>`, tag `tag`, key `k<i>`, property `idx=<i>`) to
    /// `topic` round robin.
    pub(crate) async fn produce(
        &self,
        topic: &str,
        count: usize,
        tag: &str,
    ) -> anyhow::Result<Vec<SendResult>> {
        let producer = self.producer().await?;
        let mut sent = Vec::with_capacity(count);
        for i in 0..count {
            let mut m = Message::new(topic, format!("body-{i}"));
            m.set_tags(tag);
            m.set_keys([format!("k{i}")]);
            m.put_user_property("idx", i.to_string())?;
            sent.push(
                producer
                    .send(m)
                    .await
                    .with_context(|| format!("send {i}"))?,
            );
        }
        producer.close().await;
        Ok(sent)
    }

    /// A consumer group's dead-letter topic, `%DLQ%<group>`, once it holds something:
    /// every message in it, read with the raw pull consumer. Polls: 4.9.8 keeps the sent
    /// DELAY on a copy sent back, so it reaches the DLQ only after that delay.
    pub(crate) async fn dead_letters(&self, group: &str) -> anyhow::Result<Vec<Got>> {
        let dlq = format!("%DLQ%{group}");
        let deadline = std::time::Instant::now() + self.limit;
        loop {
            let found = self.pull_all(&dlq).await?;
            if !found.is_empty() || std::time::Instant::now() > deadline {
                return Ok(found);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// A consumer's running info, asked for through the broker (GET_CONSUMER_RUNNING_INFO
    /// as mqadmin sends it), with the consumer's task summary when `jstack`.
    pub(crate) async fn running_info(
        &self,
        group: &str,
        client_id: &str,
        jstack: bool,
    ) -> anyhow::Result<ConsumerRunningInfo> {
        let request = GetConsumerRunningInfo(GetConsumerRunningInfoRequestHeader {
            consumer_group: group.to_owned(),
            client_id: client_id.to_owned(),
            jstack_enable: jstack,
            rpc: Default::default(),
        });
        Ok(self.remoting.call(&self.broker, &request).await?)
    }

    /// Every message of a topic (all queues), read with the raw pull consumer.
    pub(crate) async fn pull_all(&self, topic: &str) -> anyhow::Result<Vec<Got>> {
        wait_for_route(&self.remoting, &self.namesrv, topic).await?;
        let puller = PullConsumer::builder()
            .namesrv_addr(self.namesrv.as_str())
            .group(unique("h7_reader"))
            .build()
            .await?;
        let mut out = Vec::new();
        for queue in puller.queues(topic).await? {
            let mut offset = 0;
            loop {
                let found = puller.pull(&queue, "*", offset, 32).await?;
                out.extend(found.messages.iter().map(|m| Got::of("pull", m)));
                offset = found.next_begin_offset;
                if found.status != PullStatus::Found {
                    break;
                }
            }
        }
        puller.close().await;
        Ok(out)
    }
}

/// The scenarios every target runs (the SDK's producer or Java's sending, as the target
/// has it): orderly order, the retry schedule into the DLQ (concurrent and orderly),
/// broadcasting, an offset reset and running info, close and reopen.
pub(crate) async fn common_scenarios(t: &Target) -> anyhow::Result<()> {
    orderly::orderly(t).await.context("orderly order")?;
    retry::retry_then_dlq(&t.env)
        .await
        .context("retry schedule and DLQ")?;
    retry::orderly_dlq(&t.env).await.context("orderly to DLQ")?;
    broadcast::broadcasting(t).await.context("broadcasting")?;
    offsets::reset_and_running_info(t)
        .await
        .context("offset reset, running info")?;
    offsets::restart_resumes(&t.env)
        .await
        .context("close and reopen")
}

/// An SDK producer's plain sends: a body per index, nothing else set.
pub(crate) async fn send_bodies(
    producer: &Producer,
    topic: &str,
    indexes: std::ops::Range<usize>,
) -> anyhow::Result<()> {
    for i in indexes {
        producer
            .send(Message::new(topic, format!("body-{i}")))
            .await
            .with_context(|| format!("send body-{i}"))?;
    }
    Ok(())
}

/// `body-<i>` for each index.
pub(crate) fn bodies(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("body-{i}")).collect()
}

/// A push consumer of `group` on `env`'s name server, subscribed to all of `topic`, from
/// the first offset (every other setting the SDK's default).
pub(crate) fn push_plain(env: &Env, group: &str, topic: &str) -> PushConsumerBuilder {
    PushConsumer::builder()
        .namesrv_addr(env.namesrv.as_str())
        .group(group)
        .subscribe(topic, "*")
        .consume_from(ConsumeFrom::FirstOffset)
}

/// [`push_plain`] with offsets persisted every 500 ms and a rebalance every 2 s, so the
/// scenarios see offsets and allocations change within seconds.
pub(crate) fn push(env: &Env, group: &str, topic: &str) -> PushConsumerBuilder {
    push_plain(env, group, topic)
        .persist_interval(Duration::from_millis(500))
        .rebalance_interval(Duration::from_secs(2))
}

/// One delivery as a listener saw it.
#[derive(Clone, Debug)]
pub(crate) struct Got {
    pub(crate) consumer: String,
    pub(crate) msg_id: String,
    pub(crate) topic: String,
    pub(crate) body: Bytes,
    pub(crate) tags: Option<String>,
    pub(crate) keys: Vec<String>,
    pub(crate) props: BTreeMap<String, String>,
    pub(crate) queue: MessageQueue,
    pub(crate) offset: i64,
    pub(crate) reconsume_times: i32,
    pub(crate) at: Instant,
}

impl Got {
    pub(crate) fn of(consumer: &str, m: &ReceivedMessage) -> Self {
        Got {
            consumer: consumer.to_owned(),
            msg_id: m.msg_id(),
            topic: m.topic().to_owned(),
            body: m.body().clone(),
            tags: m.tags().map(str::to_owned),
            keys: m.keys().map(str::to_owned).collect(),
            props: m
                .properties()
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            queue: MessageQueue {
                topic: m.topic().to_owned(),
                broker_name: m.broker_name().to_owned(),
                queue_id: m.queue_id(),
            },
            offset: m.queue_offset(),
            reconsume_times: m.reconsume_times(),
            at: Instant::now(),
        }
    }

    pub(crate) fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A Java push consumer's delivery in the shape of the SDK's.
    pub(crate) fn of_java(d: &interop::Delivery) -> Self {
        Got {
            consumer: "java".into(),
            msg_id: d.message.msg_id.clone(),
            topic: d.message.topic.clone(),
            body: d.message.body.clone().into(),
            tags: d.message.tags.clone(),
            keys: d
                .message
                .keys
                .clone()
                .map(|k| k.split(' ').map(str::to_owned).collect())
                .unwrap_or_default(),
            props: d.message.properties.clone(),
            queue: MessageQueue {
                topic: d.mq_topic.clone(),
                broker_name: d.mq_broker.clone(),
                queue_id: d.mq_queue_id,
            },
            offset: d.message.queue_offset,
            reconsume_times: d.message.reconsume_times,
            at: Instant::now(),
        }
    }

    /// `broker:queueId`, as the Java tools print a queue.
    pub(crate) fn queue_label(&self) -> String {
        format!("{}:{}", self.queue.broker_name, self.queue.queue_id)
    }
}

/// Deliveries shared between listeners and the test.
#[derive(Default)]
pub(crate) struct Record {
    got: Mutex<Vec<Got>>,
    changed: Notify,
}

impl Record {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub(crate) fn push(&self, got: Got) {
        self.got
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(got);
        self.changed.notify_waiters();
    }

    pub(crate) fn all(&self) -> Vec<Got> {
        self.got
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn len(&self) -> usize {
        self.got
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Waits (bounded) until `done` holds for the deliveries so far.
    pub(crate) async fn wait(
        &self,
        what: &str,
        limit: Duration,
        done: impl Fn(&[Got]) -> bool,
    ) -> anyhow::Result<Vec<Got>> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let got = self.got.lock().unwrap_or_else(PoisonError::into_inner);
                if done(&got) {
                    return Ok(got.clone());
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                let got = self.all();
                if done(&got) {
                    return Ok(got);
                }
                bail!(
                    "no {what} within {limit:?}; {} deliveries: {:?}",
                    got.len(),
                    summary(&got)
                );
            }
        }
    }

    /// Waits until `n` deliveries arrived.
    pub(crate) async fn wait_count(&self, n: usize, limit: Duration) -> anyhow::Result<Vec<Got>> {
        self.wait(&format!("{n} deliveries"), limit, |g| g.len() >= n)
            .await
    }

    /// After `quiet`, still exactly `n` deliveries: nothing `what` arrived meanwhile.
    pub(crate) async fn still(&self, n: usize, quiet: Duration, what: &str) -> anyhow::Result<()> {
        tokio::time::sleep(quiet).await;
        let len = self.len();
        ensure!(len == n, "{what}: {len} deliveries, expected {n}");
        Ok(())
    }
}

fn summary(got: &[Got]) -> Vec<String> {
    got.iter()
        .take(50)
        .map(|g| {
            format!(
                "{}:{}@{}/{} r{}",
                g.consumer,
                g.body_text(),
                g.queue.queue_id,
                g.offset,
                g.reconsume_times
            )
        })
        .collect()
}

/// A concurrent listener that records every delivery and fails while a message's
/// reconsume count is below `fail_below`.
pub(crate) struct Recorder {
    pub(crate) name: String,
    pub(crate) record: Arc<Record>,
    pub(crate) fail_below: i32,
}

impl Recorder {
    /// Records as `name` into `record`, never failing.
    pub(crate) fn new(name: &str, record: &Arc<Record>) -> Self {
        Recorder {
            name: name.to_owned(),
            record: Arc::clone(record),
            fail_below: 0,
        }
    }

    /// Fails while a message's reconsume count is below `n`.
    pub(crate) fn failing_below(mut self, n: i32) -> Self {
        self.fail_below = n;
        self
    }
}

impl MessageListener for Recorder {
    async fn consume(
        &self,
        msgs: Vec<ReceivedMessage>,
        _ctx: &mut ConsumeContext,
    ) -> ConsumeStatus {
        let mut fail = false;
        for m in &msgs {
            self.record.push(Got::of(&self.name, m));
            fail |= m.reconsume_times() < self.fail_below;
        }
        if fail {
            ConsumeStatus::ReconsumeLater
        } else {
            ConsumeStatus::Success
        }
    }
}

/// Each body of `expected` delivered exactly once (by body text), nothing else.
pub(crate) fn exactly_once(got: &[Got], expected: &[String]) -> anyhow::Result<()> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for g in got {
        *counts.entry(g.body_text()).or_default() += 1;
    }
    let mut problems = Vec::new();
    for e in expected {
        match counts.remove(e) {
            Some(1) => {}
            Some(n) => problems.push(format!("{e} x{n}")),
            None => problems.push(format!("{e} missing")),
        }
    }
    for (body, n) in counts {
        problems.push(format!("unexpected {body} x{n}"));
    }
    if !problems.is_empty() {
        bail!("not exactly once: {problems:?}");
    }
    Ok(())
}

/// Waits until the members' queues of `topic` are disjoint, cover `total` queues and (when
/// there are enough queues) leave no member without one.
pub(crate) async fn wait_split(
    members: &[PushConsumer],
    topic: &str,
    total: usize,
) -> anyhow::Result<Vec<Vec<MessageQueue>>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let split: Vec<Vec<MessageQueue>> = members
            .iter()
            .map(|m| {
                m.assigned_queues()
                    .into_iter()
                    .filter(|q| q.topic == topic)
                    .collect()
            })
            .collect();
        let all: BTreeSet<&MessageQueue> = split.iter().flatten().collect();
        let count: usize = split.iter().map(Vec::len).sum();
        // Every member holds some queue once both have rebalanced: right after the second
        // joins, the first may still hold all of them and the second none yet.
        let everyone = total < members.len() || split.iter().all(|q| !q.is_empty());
        if all.len() == total && count == total && everyone {
            return Ok(split);
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no clean split: {split:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Checks that in each queue no message arrived for the first time before every smaller
/// offset had arrived (orderly consumption's promise), and that all `total` arrived.
pub(crate) fn in_queue_order(got: &[Got], total: usize) -> anyhow::Result<()> {
    let mut seen: BTreeMap<i32, BTreeSet<i64>> = BTreeMap::new();
    let mut first: BTreeMap<i32, i64> = BTreeMap::new();
    for g in got {
        let s = seen.entry(g.queue.queue_id).or_default();
        let start = *first.entry(g.queue.queue_id).or_insert(g.offset);
        if !s.contains(&g.offset) {
            let expected = start + s.len() as i64;
            ensure!(
                g.offset == expected,
                "queue {} delivered offset {} first, expected {expected}",
                g.queue.queue_id,
                g.offset
            );
            s.insert(g.offset);
        }
    }
    let n: usize = seen.values().map(BTreeSet::len).sum();
    ensure!(n == total, "{n} of {total} messages delivered");
    Ok(())
}

/// What differs between a message the Java producer sent and the SDK's delivery of it:
/// body, keys, tags, each user property and the unique id must be identical.
pub(crate) fn mismatches(sent: &interop::SentMessage, got: &Got) -> Vec<String> {
    let mut out = Vec::new();
    if sent.body != got.body.as_ref() {
        out.push(format!(
            "body: sent {} bytes, got {}",
            sent.body.len(),
            got.body.len()
        ));
    }
    let keys = (!got.keys.is_empty()).then(|| got.keys.join(" "));
    if sent.keys != keys {
        out.push(format!("keys: sent {:?}, got {keys:?}", sent.keys));
    }
    if sent.tags != got.tags {
        out.push(format!("tags: sent {:?}, got {:?}", sent.tags, got.tags));
    }
    for (k, v) in &sent.user_properties {
        if got.props.get(k) != Some(v) {
            out.push(format!(
                "property {k}: sent {v:?}, got {:?}",
                got.props.get(k)
            ));
        }
    }
    if got.msg_id != sent.msg_id || got.props.get("UNIQ_KEY") != Some(&sent.msg_id) {
        out.push(format!("id: sent {}, got {}", sent.msg_id, got.msg_id));
    }
    out
}

/// Every sent message delivered exactly once (by unique id) with identical content.
pub(crate) fn each_sent_once(sent: &[interop::SentMessage], got: &[Got]) -> anyhow::Result<()> {
    let mut by_id: BTreeMap<&str, Vec<&Got>> = BTreeMap::new();
    for g in got {
        by_id.entry(g.msg_id.as_str()).or_default().push(g);
    }
    let mut problems = Vec::new();
    for s in sent {
        match by_id.remove(s.msg_id.as_str()) {
            None => problems.push(format!("{} never delivered", s.index)),
            Some(ds) => {
                if ds.len() > 1 {
                    problems.push(format!("{} delivered {} times", s.index, ds.len()));
                }
                for m in mismatches(s, ds[0]) {
                    problems.push(format!("{}: {m}", s.index));
                }
            }
        }
    }
    for id in by_id.keys() {
        problems.push(format!("{id} delivered but not sent"));
    }
    ensure!(problems.is_empty(), "{problems:?}");
    Ok(())
}

/// An orderly listener (for `orderly_listener_fn`) that records each delivery as `name`
/// and suspends the batch while `suspend` holds for one of its messages.
pub(crate) fn orderly_recorder(
    name: &str,
    record: &Arc<Record>,
    suspend: impl Fn(&Got) -> bool + Send + Sync + 'static,
) -> impl Fn(Vec<ReceivedMessage>) -> std::future::Ready<OrderlyStatus> + Send + Sync + 'static {
    let (name, record) = (name.to_owned(), Arc::clone(record));
    move |msgs| {
        let mut again = false;
        for m in &msgs {
            let got = Got::of(&name, m);
            again |= suspend(&got);
            record.push(got);
        }
        std::future::ready(if again {
            OrderlyStatus::Suspend
        } else {
            OrderlyStatus::Success
        })
    }
}

/// Builds a consumer from `builder` with a [`Recorder`] named `name` (never failing);
/// the consumer and what it records.
pub(crate) async fn recording(
    builder: PushConsumerBuilder,
    name: &str,
) -> anyhow::Result<(PushConsumer, Arc<Record>)> {
    let record = Record::new();
    let consumer = builder
        .listener(Recorder::new(name, &record))
        .build()
        .await?;
    Ok((consumer, record))
}

/// One consumer per name, each built by `builder` with that instance name and a
/// [`Recorder`] of that name writing into `record`.
pub(crate) async fn members(
    names: &[&str],
    record: &Arc<Record>,
    builder: impl Fn() -> PushConsumerBuilder,
) -> anyhow::Result<Vec<PushConsumer>> {
    let mut members = Vec::new();
    for name in names {
        let member = builder()
            .instance_name(*name)
            .listener(Recorder::new(name, record))
            .build()
            .await?;
        members.push(member);
    }
    Ok(members)
}

/// Counts the messages consume hooks saw before and after the listener.
#[derive(Debug, Default)]
pub(crate) struct CountingHook {
    before: std::sync::atomic::AtomicUsize,
    after: std::sync::atomic::AtomicUsize,
}

impl CountingHook {
    pub(crate) fn before(&self) -> usize {
        self.before.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn after(&self) -> usize {
        self.after.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A [`CountingHook`] shared with the test.
pub(crate) struct SharedHook(pub(crate) Arc<CountingHook>);

impl rocketmq::consumer::ConsumeHook for SharedHook {
    fn name(&self) -> &str {
        "counting"
    }

    fn before(&self, ctx: &rocketmq::consumer::ConsumeHookContext<'_>) {
        self.0
            .before
            .fetch_add(ctx.messages.len(), std::sync::atomic::Ordering::SeqCst);
    }

    fn after(&self, ctx: &rocketmq::consumer::ConsumeHookContext<'_>) {
        assert!(ctx.status.is_some() && ctx.outcome.is_some());
        self.0
            .after
            .fetch_add(ctx.messages.len(), std::sync::atomic::Ordering::SeqCst);
    }
}
