//! Helpers shared by the SDK consumer tests (`sdk_consumer_*.rs`): where the broker is,
//! fresh topics and groups, an SDK producer, and a recording listener.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers; not every file uses all

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use interop::sdk_ops::{create_topic, wait_for_route};
use rocketmq::consumer::{
    ConsumeContext, ConsumeStatus, MessageListener, OrderlyContext, OrderlyListener, OrderlyStatus,
    PushConsumer, ReceivedMessage,
};
use rocketmq::producer::{Producer, SendResult};
use rocketmq::protocol::MessageQueue;
use rocketmq::protocol::message::Message;
use rocketmq::remoting::RemotingClient;
use tokio::sync::Notify;

/// Where the tests run: a name server and one broker (any implementation).
pub(crate) struct Env {
    pub(crate) label: String,
    pub(crate) namesrv: String,
    pub(crate) broker: String,
    pub(crate) broker_name: String,
    pub(crate) remoting: RemotingClient,
}

impl Env {
    pub(crate) fn new(label: &str, namesrv: String, broker: String, broker_name: &str) -> Self {
        Env {
            label: label.to_owned(),
            namesrv,
            broker,
            broker_name: broker_name.to_owned(),
            remoting: RemotingClient::builder().build(),
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
}

/// A name unique to this run.
pub(crate) fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{prefix}_{}_{n}_{:x}",
        std::process::id(),
        nanos % 0xffff_ffff
    )
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

/// An orderly listener that records every delivery and suspends while a message's
/// reconsume count is below `fail_below`.
pub(crate) struct OrderlyRecorder {
    pub(crate) name: String,
    pub(crate) record: Arc<Record>,
    pub(crate) fail_below: i32,
}

impl OrderlyListener for OrderlyRecorder {
    async fn consume(
        &self,
        msgs: Vec<ReceivedMessage>,
        _ctx: &mut OrderlyContext,
    ) -> OrderlyStatus {
        let mut fail = false;
        for m in &msgs {
            self.record.push(Got::of(&self.name, m));
            fail |= m.reconsume_times() < self.fail_below;
        }
        if fail {
            OrderlyStatus::Suspend
        } else {
            OrderlyStatus::Success
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

/// Waits until the members' queues of `topic` are disjoint and cover `total` queues.
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
        if all.len() == total && count == total {
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

/// An orderly listener that records deliveries and suspends every delivery of `fail`.
pub(crate) struct FailBody {
    pub(crate) record: Arc<Record>,
    pub(crate) fail: String,
}

impl OrderlyListener for FailBody {
    async fn consume(
        &self,
        msgs: Vec<ReceivedMessage>,
        _ctx: &mut OrderlyContext,
    ) -> OrderlyStatus {
        let mut fail = false;
        for m in &msgs {
            let got = Got::of("o", m);
            fail |= got.body_text() == self.fail;
            self.record.push(got);
        }
        if fail {
            OrderlyStatus::Suspend
        } else {
            OrderlyStatus::Success
        }
    }
}

/// A concurrent listener that records deliveries and holds first deliveries for `hold`.
pub(crate) struct SlowFirst {
    pub(crate) record: Arc<Record>,
    pub(crate) hold: Duration,
}

impl MessageListener for SlowFirst {
    async fn consume(
        &self,
        msgs: Vec<ReceivedMessage>,
        _ctx: &mut ConsumeContext,
    ) -> ConsumeStatus {
        let first = msgs.iter().any(|m| m.reconsume_times() == 0);
        for m in &msgs {
            self.record.push(Got::of("slow", m));
        }
        if first {
            tokio::time::sleep(self.hold).await;
        }
        ConsumeStatus::Success
    }
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
