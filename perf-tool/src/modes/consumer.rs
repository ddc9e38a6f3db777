//! `perf-tool consumer`: Java's benchmark `Consumer` (5.x flags, defaults and report
//! line), on the SDK's [`PushConsumer`](rocketmq::consumer::PushConsumer).
//!
//! One push consumer per `--connections` joins the group (clustering, queues shared
//! averagely, `-w` listener calls at once, one message per call by default). Every
//! delivery counts as consumed; its born-to-consume (B2C: now - born timestamp) and
//! store-to-consume (S2C: now - store timestamp) latencies are recorded in milliseconds
//! as the Java tool does, and with probability `-r` the listener answers "reconsume
//! later", which counts as a failure.
//!
//! Measuring starts once the consumer holds a queue of the topic (until then it
//! rebalances every second rather than every 20 s), so a consumer started before its
//! producer neither waits long nor counts the idle time. It ends at `-q` deliveries,
//! after `--duration`, or on Ctrl-C.
//!
//! The periodic line is Java's: rates and averages over the last ten one-second samples;
//! the maxima are those of the same window (Java's are since its previous line, the same
//! span at the default `-ri`); `Consume Fail` counts the window's failures.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::Args;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rocketmq::consumer::{ConsumeStatus, Expression, ReceivedMessage};
use rocketmq::protocol::message::Message;
use serde::Serialize;

use super::consuming::{
    ConsumerSetup, Sink, StartAt, Tally, consume, now_millis, refuse_producer_flags, span_us,
};
use super::send::producers;
use crate::cli::{AclArgs, CommonArgs, TraceArgs, java_bool};
use crate::report::{Report, human_time, whole_ms};
use crate::run::RunSpec;
use crate::stats::{Layout, Window};
use crate::target::Target;

/// Counters of `perf-tool consumer`, in [`CONSUMER_LAYOUT`] order.
mod counter {
    /// Messages handed to the listener (redeliveries included), Java's "Consume TPS".
    pub(super) const CONSUMED: usize = 0;
    /// Of those, answered "reconsume later" (`-r`).
    pub(super) const FAILED: usize = 1;
    /// Of those, redeliveries (reconsume times above zero).
    pub(super) const REDELIVERED: usize = 2;
}

/// Born-to-consume latency series.
const B2C: usize = 0;
/// Store-to-consume latency series.
const S2C: usize = 1;

static CONSUMER_LAYOUT: Layout = Layout {
    counters: &["consumed", "failed", "redelivered"],
    series: &["b2c", "s2c"],
};

/// Flags of `perf-tool consumer` (Java's `benchmark.Consumer`).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct ConsumerArgs {
    /// Topic to consume.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub(crate) topic: String,
    /// Listener calls in flight at once (Java's consume thread count).
    #[arg(short = 'w', long = "threadCount", default_value_t = 20)]
    pub(crate) threads: usize,
    /// Consumer group.
    #[arg(short = 'g', long = "group", default_value = "benchmark_consumer")]
    pub(crate) group: String,
    /// Append `_<current millis % 100>` to the group (Java calls it "group prefix
    /// enable"; its long name has spaces, so perf-tool spells it without).
    #[arg(short = 'p', long = "groupPrefixEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) group_suffix: bool,
    /// Filter type of `-e`: TAG or SQL92 (without both -f and -e, everything is consumed).
    #[arg(short = 'f', long = "filterType", value_name = "TAG|SQL92")]
    pub(crate) filter_type: Option<String>,
    /// Path of a file holding the filter expression (as in Java, not the expression).
    #[arg(short = 'e', long = "expression", value_name = "FILE")]
    pub(crate) expression: Option<PathBuf>,
    /// Probability (0..=1) that the listener answers "reconsume later".
    #[arg(
        short = 'r',
        long = "failRate",
        value_name = "RATE",
        default_value_t = 0.0
    )]
    pub(crate) fail_rate: f64,
    #[command(flatten)]
    #[serde(flatten)]
    pub(crate) msg_trace: TraceArgs,
    /// Stop after this many deliveries (0: until --duration or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub(crate) quantity: u64,
    /// Where a new group starts: `last` (Java's default) or `first`.
    #[arg(long = "consumeFrom", value_enum, default_value_t = StartAt::Last)]
    pub(crate) from: StartAt,
    /// Messages per listener call (Java's `consumeMessageBatchMaxSize`).
    #[arg(long = "consumeBatchSize", value_name = "N", default_value_t = 1)]
    pub(crate) batch: usize,
    /// Before consuming, send this many messages to the topic (not measured): a backlog
    /// to drain, e.g. on the embedded broker-lite.
    #[arg(long = "preload", value_name = "N", default_value_t = 0)]
    pub(crate) preload: u64,
    /// Body size of the --preload messages, bytes.
    #[arg(short = 's', long = "messageSize", default_value_t = 128)]
    pub(crate) size: usize,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// The subscription `-f`/`-e` ask for: everything unless both are given, as in Java.
fn expression(
    filter_type: Option<&str>,
    file: Option<&std::path::Path>,
) -> anyhow::Result<Expression> {
    let (Some(kind), Some(file)) = (filter_type, file) else {
        return Ok(Expression::all());
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read -e/--expression {}: {e}", file.display()))?;
    let text = text.trim();
    anyhow::ensure!(
        !text.is_empty(),
        "-e/--expression {} is empty",
        file.display()
    );
    match kind.trim() {
        "TAG" => Ok(Expression::tag(text)),
        "SQL92" => Ok(Expression::sql(text)),
        other => anyhow::bail!("-f/--filterType: {other:?} is not supported (TAG or SQL92)"),
    }
}

/// Whether a delivery fails (`-r`): a splitmix64 sequence compared with `rate * 2^64`.
#[derive(Debug)]
pub(crate) struct FailDice {
    threshold: u64,
    state: AtomicU64,
}

impl FailDice {
    pub(crate) fn new(rate: f64, seed: u64) -> FailDice {
        let threshold = if rate <= 0.0 {
            0
        } else if rate >= 1.0 {
            u64::MAX
        } else {
            // Exact enough: 2^64 as f64, the product below it.
            (rate * 18_446_744_073_709_551_616.0) as u64
        };
        FailDice {
            threshold,
            state: AtomicU64::new(seed),
        }
    }

    #[inline]
    pub(crate) fn roll(&self) -> bool {
        match self.threshold {
            0 => false,
            u64::MAX => true,
            threshold => {
                const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
                let mut z = self
                    .state
                    .fetch_add(GAMMA, Ordering::Relaxed)
                    .wrapping_add(GAMMA);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)) < threshold
            }
        }
    }
}

/// What the listener counts into, once the run has started.
struct Counting {
    tally: Tally,
    dice: FailDice,
}

impl Sink for Counting {
    fn consume(&self, messages: &[ReceivedMessage]) -> ConsumeStatus {
        let now = now_millis();
        let stats = &self.tally.stats;
        let recorder = self.tally.recorders.pick();
        let mut redelivered = 0;
        for m in messages {
            recorder.record_us(B2C, span_us(now, m.born_timestamp()));
            recorder.record_us(S2C, span_us(now, m.store_timestamp()));
            if m.reconsume_times() > 0 {
                redelivered += 1;
            }
        }
        let n = messages.len() as u64;
        stats.add(counter::REDELIVERED, redelivered);
        self.tally.consumed(counter::CONSUMED, n);
        if self.dice.roll() {
            stats.add(counter::FAILED, n);
            ConsumeStatus::ReconsumeLater
        } else {
            ConsumeStatus::Success
        }
    }
}

/// Java's consumer line.
struct ConsumerReport;

impl Report for ConsumerReport {
    fn line(&self, w: &Window<'_>) -> String {
        format!(
            "Current Time: {} | Consume TPS: {} | AVG(B2C) RT(ms): {:7.3} | AVG(S2C) RT(ms): {:7.3} | MAX(B2C) RT(ms): {} | MAX(S2C) RT(ms): {} | Consume Fail: {}",
            human_time(w.wall()),
            w.rate(counter::CONSUMED),
            w.avg_ms(B2C),
            w.avg_ms(S2C),
            whole_ms(w.max_us(B2C)),
            whole_ms(w.max_us(S2C)),
            w.delta(counter::FAILED),
        )
    }
}

/// Runs `perf-tool consumer`.
pub(crate) async fn run(args: ConsumerArgs) -> anyhow::Result<()> {
    args.common.validate()?;
    refuse_producer_flags(&args.common)?;
    args.msg_trace.check()?;
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.fail_rate),
        "-r/--failRate must be between 0 and 1"
    );
    anyhow::ensure!(args.threads >= 1, "-w/--threadCount must be at least 1");
    let expression = expression(args.filter_type.as_deref(), args.expression.as_deref())?;
    let group = if args.group_suffix {
        format!("{}_{}", args.group.trim(), now_millis() % 100)
    } else {
        args.group.trim().to_owned()
    };
    println!(
        "topic: {}, threadCount {}, group: {group}, suffix: {}, filterType: {}, expression: {}, msgTraceEnable: {}, aclEnable: {}, reportInterval: {}",
        args.topic.trim(),
        args.threads,
        args.group_suffix,
        args.filter_type.as_deref().unwrap_or("null"),
        expression.as_str(),
        args.msg_trace.trace,
        args.acl.acl_enable,
        args.common.report_interval_ms,
    );
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    let result = async {
        if args.preload > 0 {
            preload(&args, &target).await?;
        }
        measure(&args, &target, &group, expression).await
    }
    .await;
    target.shutdown().await;
    result
}

/// Sends `--preload` messages (async, a window of sends in flight). A send that fails
/// is made again, synchronously, up to three times; one that timed out may still have
/// been stored, so the backlog holds at least `--preload` messages.
async fn preload(args: &ConsumerArgs, target: &Target) -> anyhow::Result<()> {
    const WINDOW: usize = 512;
    const ATTEMPTS: u32 = 3;
    let started = Instant::now();
    let mut common = args.common.clone();
    common.connections = 1;
    let producers = producers(
        &common,
        &args.acl,
        target,
        "perf_consumer_preload",
        None,
        None,
    )
    .await?;
    let producer = producers
        .first()
        .ok_or_else(|| anyhow::anyhow!("no producer"))?;
    let template = Message::new(args.topic.trim(), common.body(args.size)?);
    let outcome = async {
        let mut in_flight = FuturesUnordered::new();
        let (mut issued, mut again) = (0, 0u64);
        while issued < args.preload || !in_flight.is_empty() {
            if issued < args.preload && in_flight.len() < WINDOW {
                match producer.send_async(template.clone()).await {
                    Ok(pending) => in_flight.push(pending),
                    Err(_) => again += 1,
                }
                issued += 1;
            } else if let Some(done) = in_flight.next().await
                && done.is_err()
            {
                again += 1;
            }
        }
        for _ in 0..again {
            let mut attempt = 1;
            while let Err(e) = producer.send(template.clone()).await {
                anyhow::ensure!(attempt < ATTEMPTS, "a send failed {ATTEMPTS} times: {e}");
                attempt += 1;
            }
        }
        Ok(again)
    }
    .await;
    producer.close().await;
    let again = outcome.map_err(|e| anyhow::anyhow!("--preload: {e}"))?;
    eprintln!(
        "perf-tool consumer: preloaded {} messages of {} bytes into {} in {:.2} s ({again} sent again)",
        args.preload,
        args.size,
        args.topic.trim(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// Consumes from the moment the group's consumers start to the summary.
async fn measure(
    args: &ConsumerArgs,
    target: &Target,
    group: &str,
    expression: Expression,
) -> anyhow::Result<()> {
    let setup = ConsumerSetup {
        target,
        acl: &args.acl,
        group,
        topic: args.topic.trim(),
        expression,
        threads: args.threads,
        batch: args.batch,
        from: args.from.sdk(),
        connections: args.common.connections,
    };
    let spec = RunSpec {
        mode: "consumer",
        layout: &CONSUMER_LAYOUT,
        main_counter: counter::CONSUMED,
        main_series: B2C,
        quantity: args.quantity,
        config: serde_json::to_value(args)?,
        report: Box::new(ConsumerReport),
    };
    consume(setup, "Consumer Started.", &args.common, spec, |run| {
        Counting {
            tally: Tally::new(run, args.threads, args.quantity),
            dice: FailDice::new(args.fail_rate, now_millis().unsigned_abs()),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Stats;

    #[test]
    fn fail_dice_follows_the_rate() {
        assert!(!(0..1000).any(|_| FailDice::new(0.0, 1).roll()));
        let always = FailDice::new(1.0, 1);
        assert!((0..1000).all(|_| always.roll()));
        let dice = FailDice::new(0.25, 42);
        let fails = (0..100_000).filter(|_| dice.roll()).count();
        assert!((23_500..26_500).contains(&fails), "{fails}");
    }

    #[test]
    fn expression_needs_both_flags_and_reads_the_file() {
        let dir = std::env::temp_dir().join(format!("perf-consumer-expr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("expr");
        std::fs::write(&file, "a || b\n").unwrap();
        assert_eq!(expression(None, Some(&file)).unwrap(), Expression::all());
        assert_eq!(expression(Some("TAG"), None).unwrap(), Expression::all());
        assert_eq!(
            expression(Some("TAG"), Some(&file)).unwrap(),
            Expression::tag("a || b")
        );
        std::fs::write(&file, "a > 5").unwrap();
        assert_eq!(
            expression(Some("SQL92"), Some(&file)).unwrap(),
            Expression::sql("a > 5")
        );
        assert!(expression(Some("REGEX"), Some(&file)).is_err());
        assert!(expression(Some("TAG"), Some(&dir.join("missing"))).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn line_has_java_layout() {
        use crate::stats::Ring;
        let stats = Stats::new(&CONSUMER_LAYOUT);
        let rec = stats.recorder();
        let mut ring = Ring::new(10);
        ring.push(stats.snapshot());
        stats.add(counter::CONSUMED, 4);
        stats.add(counter::FAILED, 1);
        for (b2c, s2c) in [(2, 1), (4, 3), (6, 3), (8, 5)] {
            rec.record_us(B2C, b2c * 1000);
            rec.record_us(S2C, s2c * 1000);
        }
        ring.push(stats.snapshot());
        let line = ConsumerReport.line(&ring.window().unwrap());
        let (head, tail) = line.split_once(" | Consume TPS: ").unwrap();
        assert!(head.starts_with("Current Time: 20"), "{line}");
        let tail = tail.split_once(" | ").unwrap().1;
        assert_eq!(
            tail,
            "AVG(B2C) RT(ms):   5.000 | AVG(S2C) RT(ms):   3.000 | MAX(B2C) RT(ms): 8 | MAX(S2C) RT(ms): 5 | Consume Fail: 1"
        );
    }
}
