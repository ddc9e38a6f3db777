//! `perf-tool e2e`: produce and consume at once in one process and measure end-to-end
//! latency (send start to the listener call), with a check that every acknowledged
//! message arrived.
//!
//! Every body starts with a header: a magic, this run's id, a sequence number and the
//! send start (microseconds on this process's monotonic clock), so the consumer side
//! computes the latency without trusting wall clocks and knows which sequence numbers it
//! saw. By default the run has a topic and a group of its own (fresh names; the group
//! starts from the first offset), so nothing else mixes in.
//!
//! Order: a probe message creates the topic and is consumed before measuring starts (the
//! consumer's start-up and first rebalance are not measured); then `-w` workers send
//! (honouring `-q`, `--duration`, `--rate`); when they stop, the consumer gets up to
//! `--drainTimeout` seconds to receive what was acknowledged. With `--warmup`, what is
//! sent during it is checked for arrival but not counted. Counters in the summary:
//! `consumed` (every delivery), `unique` (distinct sequence numbers), `duplicates`,
//! `missing` (acknowledged, never consumed) and `foreign` (bodies of other runs or
//! tools). A run with missing messages ends with an error.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use rocketmq::consumer::{ConsumeFrom, ConsumeStatus, Expression, ReceivedMessage};
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;
use serde::Serialize;
use tokio::sync::Notify;

use super::consuming::{
    ConsumerSetup, GATE_CLOSE, Gate, Recorders, close_all, now_millis, start_consumers,
    wait_for_queues,
};
use super::send::{counter as send_counter, producers, send_one};
use crate::cli::{AclArgs, CommonArgs, TraceArgs};
use crate::report::{Report, human_time, whole_ms};
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Layout, Stats, Window};
use crate::target::Target;

/// Counters of `perf-tool e2e`, in [`E2E_LAYOUT`] order (the first five are the producer
/// modes', so `send::record_send` counts into them).
mod counter {
    pub(super) use super::send_counter::{ACKNOWLEDGED, FAILED};
    /// Deliveries of this run's messages (redeliveries included).
    pub(super) const CONSUMED: usize = 5;
    /// Distinct sequence numbers consumed.
    pub(super) const UNIQUE: usize = 6;
    /// Deliveries of a sequence number already consumed.
    pub(super) const DUPLICATES: usize = 7;
    /// Acknowledged sequence numbers never consumed (set at the end).
    pub(super) const MISSING: usize = 8;
    /// Bodies that are not this run's (other producers on the topic).
    pub(super) const FOREIGN: usize = 9;
}

/// End-to-end latency series.
const E2E: usize = 1;

/// Pause after a failed send: shorter than the Java tools' 3 s, still enough to keep a
/// refusing broker from being hammered.
const BACKOFF: Duration = Duration::from_millis(200);

static E2E_LAYOUT: Layout = Layout {
    counters: &[
        "sent",
        "acknowledged",
        "failed",
        "send_failed",
        "response_failed",
        "consumed",
        "unique",
        "duplicates",
        "missing",
        "foreign",
    ],
    // "send" is series 0, where `send::record_send` records.
    series: &["send", "e2e"],
};

/// Flags of `perf-tool e2e`.
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct E2eArgs {
    /// Topic (default: a fresh `perf_e2e_<millis>`, created by the first send).
    #[arg(short = 't', long = "topic")]
    pub(crate) topic: Option<String>,
    /// Consumer group (default: a fresh `perf_e2e_<millis>`, starting from the first
    /// offset).
    #[arg(short = 'g', long = "group")]
    pub(crate) group: Option<String>,
    /// Sending workers, each waiting for its send.
    #[arg(short = 'w', long = "threadCount", default_value_t = 16)]
    pub(crate) threads: usize,
    /// Listener calls in flight at once.
    #[arg(long = "consumeThreadCount", value_name = "N", default_value_t = 20)]
    pub(crate) consume_threads: usize,
    /// Body size in bytes (at least the 24-byte header; with --body-file, the header
    /// comes before the file's content).
    #[arg(short = 's', long = "messageSize", default_value_t = 128)]
    pub(crate) size: usize,
    /// Messages to send in all (0: until --duration or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub(crate) quantity: u64,
    /// Seconds the consumer gets, after sending stops, to receive what was acknowledged.
    #[arg(long = "drainTimeout", value_name = "SECS", default_value_t = 30.0)]
    pub(crate) drain_secs: f64,
    #[command(flatten)]
    #[serde(flatten)]
    pub(crate) msg_trace: TraceArgs,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// The header every e2e body starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    run: u32,
    seq: u64,
    sent_us: u64,
    /// Sent after warm-up: counted. Messages sent during warm-up are only checked for
    /// arrival.
    measured: bool,
}

const MAGIC: &[u8; 4] = b"PTE2";
const HEADER_LEN: usize = 24;
/// The bit of the send-time word that says "measured" (µs since the start never reach it).
const MEASURED_BIT: u64 = 1 << 63;
/// The sequence number of probe messages (never measured).
const PROBE: u64 = u64::MAX;

impl Header {
    fn write(&self, body: &mut [u8]) {
        if body.len() >= HEADER_LEN {
            body[..4].copy_from_slice(MAGIC);
            body[4..8].copy_from_slice(&self.run.to_be_bytes());
            body[8..16].copy_from_slice(&self.seq.to_be_bytes());
            let flag = if self.measured { MEASURED_BIT } else { 0 };
            let word = (self.sent_us & !MEASURED_BIT) | flag;
            body[16..24].copy_from_slice(&word.to_be_bytes());
        }
    }

    fn read(body: &[u8]) -> Option<Header> {
        if body.get(..4)? != MAGIC {
            return None;
        }
        let word = |range: std::ops::Range<usize>| body.get(range);
        let sent = u64::from_be_bytes(word(16..24)?.try_into().ok()?);
        Some(Header {
            run: u32::from_be_bytes(word(4..8)?.try_into().ok()?),
            seq: u64::from_be_bytes(word(8..16)?.try_into().ok()?),
            sent_us: sent & !MEASURED_BIT,
            measured: sent & MEASURED_BIT != 0,
        })
    }
}

/// Which sequence numbers were acknowledged and which consumed.
#[derive(Debug, Default)]
struct Ledger {
    acked: Vec<u64>,
    consumed: Vec<u64>,
    acked_count: u64,
    acked_consumed: u64,
}

/// Sets bit `seq`; whether it was clear.
fn set_bit(bits: &mut Vec<u64>, seq: u64) -> bool {
    let Ok(word) = usize::try_from(seq / 64) else {
        return false;
    };
    if word >= bits.len() {
        bits.resize(word + 1, 0);
    }
    let mask = 1u64 << (seq % 64);
    let clear = bits[word] & mask == 0;
    bits[word] |= mask;
    clear
}

fn bit(bits: &[u64], seq: u64) -> bool {
    usize::try_from(seq / 64)
        .ok()
        .and_then(|w| bits.get(w))
        .is_some_and(|w| w & (1u64 << (seq % 64)) != 0)
}

impl Ledger {
    /// The broker stored `seq`.
    fn ack(&mut self, seq: u64) {
        if set_bit(&mut self.acked, seq) {
            self.acked_count += 1;
            if bit(&self.consumed, seq) {
                self.acked_consumed += 1;
            }
        }
    }

    /// `seq` was consumed; whether for the first time.
    fn consume(&mut self, seq: u64) -> bool {
        let first = set_bit(&mut self.consumed, seq);
        if first && bit(&self.acked, seq) {
            self.acked_consumed += 1;
        }
        first
    }

    /// Acknowledged sequence numbers not consumed yet.
    fn missing(&self) -> u64 {
        self.acked_count - self.acked_consumed
    }
}

/// The consumer side's state.
struct Sink {
    stats: Arc<Stats>,
    recorders: Recorders,
    ledger: Arc<Mutex<Ledger>>,
    /// Sequence numbers handed out so far: anything at or above is not this run's.
    issued: Arc<AtomicU64>,
    clock: Instant,
    run_id: u32,
    /// When (on `clock`) the last message of this run was consumed, µs.
    last_us: Arc<AtomicU64>,
}

impl Sink {
    fn consume(&self, messages: &[ReceivedMessage]) {
        let now_us = micros_since(self.clock);
        self.last_us.fetch_max(now_us, Ordering::Relaxed);
        let recorder = self.recorders.pick();
        for m in messages {
            let header = Header::read(m.body()).filter(|h| h.run == self.run_id);
            let Some(h) = header.filter(|h| h.seq < self.issued.load(Ordering::Relaxed)) else {
                if header.is_none_or(|h| h.seq != PROBE) {
                    self.stats.add(counter::FOREIGN, 1);
                }
                continue;
            };
            let first = self
                .ledger
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .consume(h.seq);
            if !h.measured {
                continue;
            }
            self.stats.add(counter::CONSUMED, 1);
            if first {
                self.stats.add(counter::UNIQUE, 1);
                recorder.record_us(E2E, now_us.saturating_sub(h.sent_us));
            } else {
                self.stats.add(counter::DUPLICATES, 1);
            }
        }
    }
}

fn micros_since(clock: Instant) -> u64 {
    u64::try_from(clock.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The e2e line: Java-style fields for both sides.
struct E2eReport;

impl Report for E2eReport {
    fn line(&self, w: &Window<'_>) -> String {
        format!(
            "Current Time: {} | Send TPS: {} | Consume TPS: {} | AVG(E2E) RT(ms): {:7.3} | P99(E2E) RT(ms): {:7.3} | MAX(E2E) RT(ms): {} | Send Failed: {} | Duplicates: {}",
            human_time(w.wall()),
            w.rate(counter::ACKNOWLEDGED),
            w.rate(counter::CONSUMED),
            w.avg_ms(E2E),
            w.quantile_us(E2E, 0.99) as f64 / 1000.0,
            whole_ms(w.max_us(E2E)),
            w.total(counter::FAILED),
            w.total(counter::DUPLICATES),
        )
    }
}

/// Runs `perf-tool e2e`.
pub(crate) async fn run(args: E2eArgs) -> anyhow::Result<()> {
    args.common.validate()?;
    args.msg_trace.check()?;
    anyhow::ensure!(args.threads >= 1, "-w/--threadCount must be at least 1");
    anyhow::ensure!(
        args.consume_threads >= 1,
        "--consumeThreadCount must be at least 1"
    );
    anyhow::ensure!(
        args.drain_secs.is_finite() && args.drain_secs >= 0.0,
        "--drainTimeout must not be negative"
    );
    let filler = match &args.common.body_file {
        Some(_) => args.common.body(0)?,
        None if args.size > HEADER_LEN => args.common.body(args.size - HEADER_LEN)?,
        None => {
            anyhow::ensure!(
                args.size == HEADER_LEN,
                "-s/--messageSize must be at least {HEADER_LEN} (the e2e header)"
            );
            Bytes::new()
        }
    };
    let stamp = now_millis();
    let topic = args
        .topic
        .as_deref()
        .map_or_else(|| format!("perf_e2e_{stamp}"), |t| t.trim().to_owned());
    let group = args
        .group
        .as_deref()
        .map_or_else(|| format!("perf_e2e_{stamp}"), |g| g.trim().to_owned());
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    eprintln!("perf-tool e2e: topic {topic}, group {group}");
    let result = e2e(&args, &target, &topic, &group, filler).await;
    target.shutdown().await;
    result
}

/// How the producer side makes its bodies.
struct Bodies {
    run_id: u32,
    clock: Instant,
    filler: Bytes,
}

impl Bodies {
    fn message(&self, topic: &str, seq: u64, measured: bool) -> Message {
        let mut body = Vec::with_capacity(HEADER_LEN + self.filler.len());
        body.resize(HEADER_LEN, 0);
        body.extend_from_slice(&self.filler);
        Header {
            run: self.run_id,
            seq,
            sent_us: micros_since(self.clock),
            measured,
        }
        .write(&mut body);
        Message::new(topic, body)
    }
}

async fn e2e(
    args: &E2eArgs,
    target: &Target,
    topic: &str,
    group: &str,
    filler: Bytes,
) -> anyhow::Result<()> {
    let producers = producers(
        &args.common,
        &args.acl,
        target,
        &format!("{group}_producer"),
        None,
        None,
    )
    .await?;
    let result = with_producers(args, target, topic, group, filler, &producers).await;
    for p in &producers {
        p.close().await;
    }
    result
}

async fn with_producers(
    args: &E2eArgs,
    target: &Target,
    topic: &str,
    group: &str,
    filler: Bytes,
    producers: &[Producer],
) -> anyhow::Result<()> {
    let bodies = Arc::new(Bodies {
        // Tells this run's bodies from older runs' on a reused topic.
        run_id: (stamp_low_bits() ^ std::process::id().rotate_left(16)),
        clock: Instant::now(),
        filler,
    });
    let first = producers
        .first()
        .ok_or_else(|| anyhow::anyhow!("no producer"))?;
    // The probe creates the topic (auto-creation) before the consumer looks it up.
    send_probe(first, &bodies, topic).await?;
    let probe_seen = Arc::new((AtomicBool::new(false), Notify::new()));
    let gate: Arc<Gate<Sink>> = Arc::new(Gate::new());
    let (listener_gate, listener_probe, run_id) =
        (Arc::clone(&gate), Arc::clone(&probe_seen), bodies.run_id);
    let consumers = start_consumers(
        ConsumerSetup {
            target,
            acl: &args.acl,
            group,
            topic,
            expression: Expression::all(),
            threads: args.consume_threads,
            batch: 1,
            from: ConsumeFrom::FirstOffset,
            connections: 1,
        },
        |builder| {
            let (gate, probe) = (Arc::clone(&listener_gate), Arc::clone(&listener_probe));
            builder.listener_fn(move |messages| {
                let (gate, probe) = (Arc::clone(&gate), Arc::clone(&probe));
                async move {
                    let is_probe = |m: &ReceivedMessage| {
                        Header::read(m.body()).is_some_and(|h| h.run == run_id && h.seq == PROBE)
                    };
                    if messages.iter().any(is_probe) {
                        probe.0.store(true, Ordering::Release);
                        probe.1.notify_waiters();
                    }
                    if messages.iter().all(is_probe) {
                        return ConsumeStatus::Success;
                    }
                    gate.with(|sink| sink.consume(&messages)).await;
                    ConsumeStatus::Success
                }
            })
        },
    )
    .await?;
    let result = measure(
        args,
        target,
        topic,
        &bodies,
        producers,
        &consumers,
        &gate,
        &probe_seen,
    )
    .await;
    close_all(&consumers).await;
    result
}

fn stamp_low_bits() -> u32 {
    (now_millis() & 0xFFFF_FFFF) as u32
}

/// Sends the probe until the broker takes it (a fresh topic may need a moment).
async fn send_probe(producer: &Producer, bodies: &Bodies, topic: &str) -> anyhow::Result<()> {
    let limit = Instant::now() + Duration::from_secs(30);
    loop {
        match producer.send(bodies.message(topic, PROBE, false)).await {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= limit => {
                anyhow::bail!("cannot send to topic {topic}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    args: &E2eArgs,
    target: &Target,
    topic: &str,
    bodies: &Arc<Bodies>,
    producers: &[Producer],
    consumers: &[rocketmq::consumer::PushConsumer],
    gate: &Gate<Sink>,
    probe_seen: &(AtomicBool, Notify),
) -> anyhow::Result<()> {
    const STARTUP: Duration = Duration::from_secs(60);
    if wait_for_queues(consumers, topic, Some(STARTUP))
        .await
        .is_none()
    {
        anyhow::bail!("the consumer got no queue of topic {topic} within {STARTUP:?}");
    }
    let seen = async {
        loop {
            let notified = probe_seen.1.notified();
            if probe_seen.0.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    };
    if tokio::time::timeout(STARTUP, seen).await.is_err() {
        anyhow::bail!("the probe message was not consumed within {STARTUP:?}");
    }
    let spec = RunSpec {
        mode: "e2e",
        layout: &E2E_LAYOUT,
        main_counter: counter::UNIQUE,
        main_series: E2E,
        quantity: args.quantity,
        config: serde_json::to_value(args)?,
        report: Box::new(E2eReport),
    };
    let run = Run::start(spec, &args.common, target);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let issued = Arc::new(AtomicU64::new(0));
    let last_us = Arc::new(AtomicU64::new(0));
    gate.open(Sink {
        stats: Arc::clone(run.stats()),
        recorders: Recorders::new(run.stats(), args.consume_threads),
        ledger: Arc::clone(&ledger),
        issued: Arc::clone(&issued),
        clock: bodies.clock,
        run_id: bodies.run_id,
        last_us: Arc::clone(&last_us),
    });
    // Measuring starts after the warm-up (the core's clock; close enough for rates).
    let send_started = Instant::now() + args.common.warmup();
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..args.threads {
        let producer = producers[i % producers.len()].clone();
        workers.spawn(send_loop(
            producer,
            run.stats().recorder(),
            run.pacer(),
            Arc::clone(bodies),
            topic.to_owned(),
            Arc::clone(&issued),
            Arc::clone(&ledger),
        ));
    }
    while let Some(done) = workers.join_next().await {
        done?;
    }
    let send_phase = Instant::now().saturating_duration_since(send_started);
    let drain_limit = Instant::now() + Duration::from_secs_f64(args.drain_secs);
    while ledger_missing(&ledger) > 0 && Instant::now() < drain_limit {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gate.close(GATE_CLOSE).await;
    let missing = ledger_missing(&ledger);
    run.stats().add(counter::MISSING, missing);
    let summary = run.finish().await?;
    let phases = Phases::new(
        &summary,
        send_phase,
        // From the first measured send to the last consumption.
        Duration::from_micros(last_us.load(Ordering::Relaxed))
            .saturating_sub(send_started.duration_since(bodies.clock)),
    );
    println!("{}", phases.line());
    if let Some(path) = &args.common.json {
        // The core wrote the summary; add the e2e figures the counters cannot carry.
        let mut value = serde_json::to_value(&summary)?;
        value["e2e"] = serde_json::to_value(&phases)?;
        std::fs::write(path, serde_json::to_string_pretty(&value)? + "\n")
            .map_err(|e| anyhow::anyhow!("cannot write --json {}: {e}", path.display()))?;
    }
    anyhow::ensure!(
        missing == 0,
        "{missing} acknowledged messages were not consumed within --drainTimeout {} s",
        args.drain_secs
    );
    Ok(())
}

/// Rates over each side's own span: sending over the send phase, consuming from the
/// first measured send (after warm-up) to the last consumption (the summary's rates
/// divide by the whole measured time, drain included).
#[derive(Debug, Serialize)]
struct Phases {
    /// The send phase, seconds.
    send_s: f64,
    /// From the first measured send to the last consumption, seconds.
    consume_s: f64,
    /// Acknowledged sends per second of the send phase.
    produce_tps: f64,
    /// Distinct messages consumed per second of `consume_s`.
    consume_tps: f64,
    /// Acknowledged, consumed (distinct) and missing messages.
    acknowledged: u64,
    unique: u64,
    missing: u64,
}

impl Phases {
    fn new(summary: &crate::summary::Summary, send: Duration, consume: Duration) -> Phases {
        let total = |name: &str| summary.totals.get(name).copied().unwrap_or(0);
        let per_s = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
        let (acknowledged, unique) = (total("acknowledged"), total("unique"));
        Phases {
            send_s: send.as_secs_f64(),
            consume_s: consume.as_secs_f64(),
            produce_tps: per_s(acknowledged, send),
            consume_tps: per_s(unique, consume),
            acknowledged,
            unique,
            missing: total("missing"),
        }
    }

    fn line(&self) -> String {
        format!(
            "[Complete] Produce TPS: {:.0} | Consume TPS: {:.0} | Acknowledged: {} | Consumed: {} | Missing: {}",
            self.produce_tps, self.consume_tps, self.acknowledged, self.unique, self.missing
        )
    }
}

fn ledger_missing(ledger: &Mutex<Ledger>) -> u64 {
    ledger
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .missing()
}

async fn send_loop(
    producer: Producer,
    recorder: crate::stats::Recorder,
    pacer: Pacer,
    bodies: Arc<Bodies>,
    topic: String,
    issued: Arc<AtomicU64>,
    ledger: Arc<Mutex<Ledger>>,
) {
    while pacer.next().await {
        // A send that starts during warm-up is not counted, whenever it ends.
        let measured = pacer.is_measuring();
        let seq = issued.fetch_add(1, Ordering::Relaxed);
        let message = bodies.message(&topic, seq, measured);
        if send_one(&producer, message, measured, &recorder, &pacer, BACKOFF).await {
            ledger
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .ack(seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_refuses_other_bodies() {
        let h = Header {
            run: 7,
            seq: 1 << 40,
            sent_us: 123_456,
            measured: true,
        };
        let mut body = vec![b'x'; 40];
        h.write(&mut body);
        assert_eq!(Header::read(&body), Some(h));
        assert_eq!(Header::read(&body[..HEADER_LEN]), Some(h));
        assert_eq!(Header::read(&body[..HEADER_LEN - 1]), None);
        assert_eq!(Header::read(b"PTE"), None);
        assert_eq!(Header::read(&[b'x'; 40]), None);
        let warm = Header {
            measured: false,
            ..h
        };
        warm.write(&mut body);
        assert_eq!(Header::read(&body), Some(warm));
    }

    #[test]
    fn ledger_counts_missing_whatever_the_order() {
        let mut l = Ledger::default();
        l.ack(0);
        l.ack(1);
        l.ack(130);
        assert_eq!(l.missing(), 3);
        assert!(l.consume(1));
        assert!(!l.consume(1));
        // Consumed before its acknowledgement arrived.
        assert!(l.consume(200));
        assert_eq!(l.missing(), 2);
        l.ack(200);
        l.ack(200);
        assert_eq!(l.missing(), 2);
        assert!(l.consume(0));
        assert!(l.consume(130));
        assert_eq!(l.missing(), 0);
    }
}
