//! What the consuming modes (`consumer`, `timer-consumer`, `e2e`) share: starting the
//! push consumers of a group, waiting until they hold a queue of the topic, the gate the
//! listener counts through (open at the run's start, closed at its end), recorders shared
//! by concurrent listener calls, the whole measured period of a mode that only consumes
//! ([`consume`]), and time helpers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::ValueEnum;
use rocketmq::consumer::{
    ConsumeFrom, ConsumeStatus, Expression, PushConsumer, PushConsumerBuilder, ReceivedMessage,
};
use rocketmq::protocol::SerializeType;
use serde::Serialize;
use tokio::sync::Notify;

use crate::cli::{AclArgs, CommonArgs};
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Recorder, Stats};
use crate::target::Target;

/// How long the end of a run waits for listener calls in progress.
pub(crate) const GATE_CLOSE: Duration = Duration::from_secs(5);

/// Where a new group starts on a queue without a stored offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StartAt {
    /// After the last message, Java's default (a fresh queue still starts at 0).
    #[default]
    Last,
    /// From the first message still stored.
    First,
}

impl StartAt {
    pub(crate) fn sdk(self) -> ConsumeFrom {
        match self {
            StartAt::Last => ConsumeFrom::LastOffset,
            StartAt::First => ConsumeFrom::FirstOffset,
        }
    }
}

/// Milliseconds since the epoch, as message timestamps are.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Milliseconds from `earlier` to `now`, as microseconds for the histograms (negative
/// spans, from clocks apart, count as zero).
#[inline]
pub(crate) fn span_us(now_ms: i64, earlier_ms: i64) -> u64 {
    u64::try_from(now_ms.saturating_sub(earlier_ms)).map_or(0, |ms| ms.saturating_mul(1000))
}

/// What the listener counts into, between the run's start and its end. Listener calls
/// that come before the start wait for it (the consumer is built before the run's clock
/// starts); calls that come after [`close`](Self::close) never return, so their messages
/// are neither counted nor acknowledged (closing the consumer abandons them and they are
/// delivered again to the group later). `close` waits for the calls inside, so the final
/// snapshot sees every counted message with all of its latencies.
pub(crate) struct Gate<T> {
    value: OnceLock<T>,
    opened: Notify,
    closed: AtomicBool,
    inside: AtomicUsize,
}

/// One listener call inside the gate.
struct Inside<'a>(&'a AtomicUsize);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<T> Gate<T> {
    pub(crate) fn new() -> Self {
        Gate {
            value: OnceLock::new(),
            opened: Notify::new(),
            closed: AtomicBool::new(false),
            inside: AtomicUsize::new(0),
        }
    }

    /// Sets the value and wakes the waiting calls (only the first value counts).
    pub(crate) fn open(&self, value: T) {
        let _ = self.value.set(value);
        self.opened.notify_waiters();
    }

    /// The value, once set.
    async fn get(&self) -> &T {
        loop {
            if let Some(v) = self.value.get() {
                return v;
            }
            let opened = self.opened.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            if let Some(v) = self.value.get() {
                return v;
            }
            opened.await;
        }
    }

    /// Runs `f` on the value once the gate is open; never returns once it is closed.
    pub(crate) async fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let value = self.get().await;
        // Enter, then look at `closed`; `close` sets it, then counts who is inside. With
        // both sequentially consistent, a call either sees the gate closed or is counted.
        self.inside.fetch_add(1, Ordering::SeqCst);
        let inside = Inside(&self.inside);
        if self.closed.load(Ordering::SeqCst) {
            drop(inside);
            std::future::pending::<()>().await;
        }
        f(value)
    }

    /// Closes the gate and waits (at most `limit`) for the calls inside to leave.
    pub(crate) async fn close(&self, limit: Duration) {
        self.closed.store(true, Ordering::SeqCst);
        let until = Instant::now() + limit;
        while self.inside.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// A few recorders shared by the concurrent listener calls, taken in turn so that calls
/// rarely wait on the same one.
pub(crate) struct Recorders {
    recorders: Box<[Recorder]>,
    next: AtomicUsize,
}

impl Recorders {
    pub(crate) fn new(stats: &Arc<Stats>, count: usize) -> Recorders {
        Recorders {
            recorders: (0..count.clamp(1, 16)).map(|_| stats.recorder()).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// The next recorder.
    #[inline]
    pub(crate) fn pick(&self) -> &Recorder {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.recorders.len();
        &self.recorders[i]
    }
}

/// What the listener calls of a mode that only consumes count into, once the run has
/// started.
pub(crate) trait Sink: Send + Sync + 'static {
    /// Counts one listener call's messages and says how they were consumed.
    fn consume(&self, messages: &[ReceivedMessage]) -> ConsumeStatus;
}

/// What every such sink holds: the run's stats, recorders for the concurrent listener
/// calls, and the `-q` bound that ends the run.
pub(crate) struct Tally {
    /// The run's stats.
    pub(crate) stats: Arc<Stats>,
    /// Recorders, taken in turn by the listener calls.
    pub(crate) recorders: Recorders,
    quantity: u64,
    pacer: Pacer,
}

impl Tally {
    /// A tally for `run`, with recorders for `threads` concurrent calls; `quantity` (0: no
    /// bound) deliveries end the run.
    pub(crate) fn new(run: &Run, threads: usize, quantity: u64) -> Tally {
        Tally {
            stats: Arc::clone(run.stats()),
            recorders: Recorders::new(run.stats(), threads),
            quantity,
            pacer: run.pacer(),
        }
    }

    /// Adds `n` deliveries to counter `consumed`; ends the run once it reaches `-q`.
    #[inline]
    pub(crate) fn consumed(&self, consumed: usize, n: u64) {
        self.stats.add(consumed, n);
        if self.quantity > 0 && self.stats.counter(consumed) >= self.quantity {
            self.pacer.stop();
        }
    }

    /// Whether warm-up is over.
    pub(crate) fn is_measuring(&self) -> bool {
        self.pacer.is_measuring()
    }
}

/// Runs a mode that only consumes, from its consumers' start to its summary: starts the
/// consumers `setup` describes with a listener that counts into a [`Sink`] through a
/// [`Gate`], prints `banner`, waits (up to `--duration`) until they hold a queue of the
/// topic, starts the run with `spec`, opens the gate with the sink `sink` makes, waits
/// until the run is stopped (`-q`, `--duration`, Ctrl-C), closes the gate, finishes the
/// run and closes the consumers.
pub(crate) async fn consume<S: Sink>(
    setup: ConsumerSetup<'_>,
    banner: &str,
    common: &CommonArgs,
    spec: RunSpec,
    sink: impl FnOnce(&Run) -> S,
) -> anyhow::Result<()> {
    let (target, topic, group) = (setup.target, setup.topic, setup.group);
    let gate: Arc<Gate<S>> = Arc::new(Gate::new());
    let consumers = start_consumers(setup, |builder| {
        let gate = Arc::clone(&gate);
        builder.listener_fn(move |messages| {
            let gate = Arc::clone(&gate);
            async move { gate.with(|sink| sink.consume(&messages)).await }
        })
    })
    .await?;
    println!("{banner}");
    if wait_for_queues(&consumers, topic, common.duration())
        .await
        .is_none()
    {
        close_all(&consumers).await;
        anyhow::bail!("no queue of topic {topic} was assigned to group {group}");
    }
    let run = Run::start(spec, common, target);
    let pacer = run.pacer();
    gate.open(sink(&run));
    pacer.stopped().await;
    gate.close(GATE_CLOSE).await;
    let summary = run.finish().await;
    close_all(&consumers).await;
    summary.map(|_| ())
}

/// The consumer settings every consuming mode shares.
pub(crate) struct ConsumerSetup<'a> {
    pub(crate) target: &'a Target,
    pub(crate) acl: &'a AclArgs,
    pub(crate) group: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) expression: Expression,
    pub(crate) threads: usize,
    pub(crate) batch: usize,
    pub(crate) from: ConsumeFrom,
    pub(crate) connections: usize,
}

/// Builds `--connections` push consumers of one group (each on its own client), all with
/// the listener `make_listener` gives.
pub(crate) async fn start_consumers(
    setup: ConsumerSetup<'_>,
    make_listener: impl Fn(PushConsumerBuilder) -> PushConsumerBuilder,
) -> anyhow::Result<Vec<PushConsumer>> {
    let mut consumers = Vec::with_capacity(setup.connections);
    for i in 0..setup.connections.max(1) {
        let mut builder = PushConsumer::builder()
            .namesrv_addr(setup.target.namesrv())
            // Java's benchmark Consumer encodes headers the ROCKETMQ way too.
            .serialize_type(SerializeType::RocketMq)
            .instance_name(format!("perf-tool-consumer-{}-{i}", std::process::id()))
            .group(setup.group)
            .subscribe(setup.topic, setup.expression.clone())
            .consume_threads(setup.threads)
            .consume_batch_size(setup.batch)
            .consume_from(setup.from)
            // Close promptly at the end: listener calls still running then are parked
            // outside a closed gate (their messages come again later).
            .await_termination(Duration::from_secs(1));
        if let Some(credentials) = setup.acl.credentials() {
            builder = builder.credentials(credentials);
        }
        match make_listener(builder).build().await {
            Ok(c) => consumers.push(c),
            Err(e) => {
                close_all(&consumers).await;
                anyhow::bail!("cannot start the push consumer: {e}");
            }
        }
    }
    Ok(consumers)
}

/// Closes every consumer.
pub(crate) async fn close_all(consumers: &[PushConsumer]) {
    for c in consumers {
        c.close().await;
    }
}

/// Waits until one of `consumers` holds a queue of `topic`, asking them to rebalance every
/// second meanwhile (a consumer started before its topic exists would otherwise wait for
/// the 20 s rebalance interval). `None` when `limit` passes or Ctrl-C comes first.
pub(crate) async fn wait_for_queues(
    consumers: &[PushConsumer],
    topic: &str,
    limit: Option<Duration>,
) -> Option<Duration> {
    let started = Instant::now();
    let mut said = Duration::ZERO;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let held = consumers
            .iter()
            .any(|c| c.assigned_queues().iter().any(|q| q.topic == topic));
        if held {
            return Some(started.elapsed());
        }
        let waited = started.elapsed();
        if limit.is_some_and(|l| waited >= l) {
            return None;
        }
        if waited >= said + Duration::from_secs(30) {
            said = waited;
            eprintln!(
                "perf-tool: still waiting for a queue of topic {topic} ({} s)",
                waited.as_secs()
            );
        }
        for c in consumers {
            c.rebalance_now();
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = &mut ctrl_c => return None,
        }
    }
}

/// Checks the flags that make no sense for a consuming mode.
pub(crate) fn refuse_producer_flags(common: &CommonArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        common.rate.is_none(),
        "--rate bounds sending; a consumer takes what arrives"
    );
    anyhow::ensure!(
        common.body_file.is_none(),
        "--body-file sets what is sent; a consumer takes what arrives"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_microseconds_and_never_negative() {
        assert_eq!(span_us(1_005, 1_000), 5_000);
        assert_eq!(span_us(1_000, 1_005), 0);
        assert_eq!(span_us(i64::MAX, i64::MIN), u64::MAX);
    }

    #[tokio::test]
    async fn gate_holds_calls_until_open_and_parks_them_once_closed() {
        let gate = Arc::new(Gate::new());
        let g = Arc::clone(&gate);
        let early = tokio::spawn(async move { g.with(|v: &u32| *v + 1).await });
        tokio::task::yield_now().await;
        assert!(!early.is_finished());
        gate.open(7u32);
        assert_eq!(early.await.unwrap(), 8);
        assert_eq!(gate.with(|v| *v).await, 7);
        gate.close(Duration::from_secs(1)).await;
        let late = tokio::time::timeout(Duration::from_millis(50), gate.with(|v| *v)).await;
        assert!(late.is_err(), "a call after close must not run");
        assert_eq!(gate.inside.load(Ordering::SeqCst), 0);
    }
}
