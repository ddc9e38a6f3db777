//! `perf-tool producer`: Java's benchmark `Producer` (flags, defaults and report lines of
//! 5.x), on the SDK's [`Producer`]. Sync mode runs `-w` workers each waiting for its send;
//! async mode (`-y true`) runs one worker keeping many sends in flight (Java forces one
//! thread too).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rocketmq::producer::Producer;
use rocketmq::protocol::message::Message;
use serde::Serialize;

use super::send::{
    CompressArgs, PRODUCER_LAYOUT, SEND_SERIES, counter, producers, record_failure, record_send,
};
use crate::argv::Alias;
use crate::cli::{AclArgs, CommonArgs, check_trace, java_bool};
use crate::report::{Report, human_time, whole_ms};
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Snapshot, Window};
use crate::target::Target;

/// Java's producer group for the benchmark.
const GROUP: &str = "benchmark_producer";
/// How long a worker pauses after a failed send (Java's benchmark sleeps 3 s).
const BACKOFF: Duration = Duration::from_secs(3);
/// Async sends a worker keeps in flight (Java's tool allows 10 000 queued; the SDK's own
/// in-flight limit applies first).
const ASYNC_WINDOW: usize = 10_000;

/// Multi-letter short options of this mode.
pub(crate) const ALIASES: &[Alias] = &[
    ("-ak", "--accessKey"),
    ("-sk", "--secretKey"),
    ("-ct", "--compressType"),
    ("-cl", "--compressLevel"),
    ("-ch", "--compressOverHowMuch"),
    ("-ri", "--reportInterval"),
];

/// Flags of `perf-tool producer` (Java's `benchmark.Producer`).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct ProducerArgs {
    /// Topic to send to.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub(crate) topic: String,
    /// Sending workers (1 when async, as in Java).
    #[arg(short = 'w', long = "threadCount", default_value_t = 64)]
    pub(crate) threads: usize,
    /// Body size in bytes (ignored with --body-file).
    #[arg(short = 's', long = "messageSize", default_value_t = 128)]
    pub(crate) size: usize,
    /// Set a key on each message (the send's second since the epoch).
    #[arg(short = 'k', long = "keyEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) keys: bool,
    /// Tag the messages `tag<now % N>` (0: no tag).
    #[arg(short = 'l', long = "tagCount", default_value_t = 0)]
    pub(crate) tag_count: u64,
    /// Add user properties of about this many bytes to each message (0: none).
    #[arg(short = 'p', long = "propertySize", default_value_t = 0)]
    pub(crate) property_size: usize,
    /// Message trace (not supported yet: `true` is refused).
    #[arg(short = 'm', long = "msgTraceEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) trace: bool,
    /// Messages to send in all (0: until --duration or Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub(crate) quantity: u64,
    /// Send delayed messages.
    #[arg(short = 'd', long = "delayEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) delay: bool,
    /// Delay level of delayed messages.
    #[arg(short = 'e', long = "delayLevel", default_value_t = 1)]
    pub(crate) delay_level: i32,
    /// Send asynchronously from one worker, many sends in flight.
    #[arg(short = 'y', long = "asyncEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) async_send: bool,
    #[command(flatten)]
    pub(crate) compress: CompressArgs,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// How each message is made.
#[derive(Clone, Debug)]
struct Shape {
    template: Message,
    keys: bool,
    tag_count: u64,
}

impl Shape {
    fn new(args: &ProducerArgs) -> anyhow::Result<Shape> {
        let mut template = Message::new(args.topic.trim(), args.common.body(args.size)?);
        if args.delay {
            template.set_delay_level(args.delay_level);
        }
        add_properties(&mut template, args.property_size)?;
        Ok(Shape {
            template,
            keys: args.keys,
            tag_count: args.tag_count,
        })
    }

    /// A message for a send starting now.
    #[inline]
    fn message(&self) -> Message {
        let mut msg = self.template.clone();
        if self.keys || self.tag_count > 0 {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO);
            if self.keys {
                msg.set_keys([now.as_secs().to_string()]);
            }
            if self.tag_count > 0 {
                let ms = u64::try_from(now.as_millis()).unwrap_or(0);
                msg.set_tags(format!("tag{}", ms % self.tag_count));
            }
        }
        msg
    }
}

/// Adds `prop<i>`/`hello<v>` user properties until their text passes `size` bytes (the
/// Java tool's filler).
pub(crate) fn add_properties(msg: &mut Message, size: usize) -> anyhow::Result<()> {
    let mut total = 0;
    let mut i = 0;
    while size > 0 && total <= size {
        let (k1, v1, k2, v2) = (
            format!("prop{i}"),
            format!("hello{i}"),
            format!("prop{}", i + 1),
            i.to_string(),
        );
        total += k1.len() + v1.len() + k2.len() + v2.len();
        msg.put_user_property(k1, v1)?;
        msg.put_user_property(k2, v2)?;
        i += 2;
    }
    Ok(())
}

/// Runs the mode.
pub(crate) async fn run(args: ProducerArgs) -> anyhow::Result<()> {
    check_trace(args.trace)?;
    args.common.validate()?;
    anyhow::ensure!(args.threads >= 1, "-w/--threadCount must be at least 1");
    anyhow::ensure!(!args.topic.trim().is_empty(), "-t/--topic is empty");
    let shape = Shape::new(&args)?;
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    let producers = producers(
        &args.common,
        &args.acl,
        &target,
        GROUP,
        Some(&args.compress),
    )
    .await?;
    let workers = if args.async_send { 1 } else { args.threads };
    eprintln!(
        "perf-tool producer: topic {}, {} {} worker(s), {}-byte bodies, quantity {}, connections {}",
        args.topic,
        workers,
        if args.async_send { "async" } else { "sync" },
        shape.template.body().len(),
        args.quantity,
        producers.len()
    );
    let run = Run::start(
        RunSpec {
            mode: "producer",
            layout: &PRODUCER_LAYOUT,
            main_counter: counter::ACKNOWLEDGED,
            main_series: SEND_SERIES,
            quantity: args.quantity,
            config: serde_json::to_value(&args)?,
            report: Box::new(ProducerReport),
        },
        &args.common,
        &target,
    );
    let mut tasks = Vec::with_capacity(workers);
    for i in 0..workers {
        let producer = producers[i % producers.len()].clone();
        let (shape, pacer, recorder) = (shape.clone(), run.pacer(), run.stats().recorder());
        tasks.push(tokio::spawn(async move {
            if args.async_send {
                async_worker(producer, shape, pacer, recorder).await;
            } else {
                sync_worker(producer, shape, pacer, recorder).await;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let summary = run.finish().await;
    for p in &producers {
        p.close().await;
    }
    target.shutdown().await;
    summary.map(|_| ())
}

async fn sync_worker(
    producer: Producer,
    shape: Shape,
    pacer: Pacer,
    recorder: crate::stats::Recorder,
) {
    let stats = std::sync::Arc::clone(recorder.stats());
    while pacer.next().await {
        let msg = shape.message();
        let measured = pacer.is_measuring();
        if measured {
            stats.add(counter::SENT, 1);
        }
        let began = Instant::now();
        let outcome = producer.send(msg).await;
        let failed = match measured {
            true => record_send(&recorder, began.elapsed(), &outcome),
            false => outcome.is_err(),
        };
        if failed {
            backoff(&pacer).await;
        }
    }
}

async fn async_worker(
    producer: Producer,
    shape: Shape,
    pacer: Pacer,
    recorder: crate::stats::Recorder,
) {
    let stats = std::sync::Arc::clone(recorder.stats());
    let mut in_flight = FuturesUnordered::new();
    let mut more = true;
    while more || !in_flight.is_empty() {
        tokio::select! {
            biased;
            Some((began, measured, outcome)) = in_flight.next(), if !in_flight.is_empty() => {
                let began: Instant = began;
                if measured {
                    record_send(&recorder, began.elapsed(), &outcome);
                }
            }
            next = pacer.next(), if more && in_flight.len() < ASYNC_WINDOW => {
                if !next {
                    more = false;
                    continue;
                }
                let msg = shape.message();
                let measured = pacer.is_measuring();
                if measured {
                    stats.add(counter::SENT, 1);
                }
                let began = Instant::now();
                match producer.send_async(msg).await {
                    Ok(pending) => in_flight.push(async move { (began, measured, pending.await) }),
                    Err(e) => {
                        if measured {
                            record_failure(&recorder, &e);
                        }
                        backoff(&pacer).await;
                    }
                }
            }
        }
    }
}

/// Java's pause after a failed send, cut short when the run ends.
async fn backoff(pacer: &Pacer) {
    tokio::select! {
        () = tokio::time::sleep(BACKOFF) => {}
        () = pacer.stopped() => {}
    }
}

/// Java 5.x `Producer` lines.
#[derive(Debug)]
struct ProducerReport;

impl Report for ProducerReport {
    fn line(&self, w: &Window<'_>) -> String {
        format!(
            "Current Time: {} | Send TPS: {} | Max RT(ms): {} | Average RT(ms): {:7.3} | Send Failed: {} | Response Failed: {}",
            human_time(w.wall()),
            w.rate(counter::ACKNOWLEDGED),
            whole_ms(w.max_total_us(SEND_SERIES)),
            w.avg_ms(SEND_SERIES),
            w.total(counter::SEND_FAILED),
            w.total(counter::RESPONSE_FAILED),
        )
    }

    fn complete(&self, w: Option<&Window<'_>>, last: &Snapshot) -> Option<String> {
        let total = |i: usize| last.counters.get(i).copied().unwrap_or(0);
        // Java's "Send Total" is requests that went out fine plus those that failed to go out.
        let send_total = total(counter::ACKNOWLEDGED) + total(counter::SEND_FAILED);
        Some(match w {
            Some(w) => format!(
                "[Complete] Send Total: {send_total} | Send TPS: {} | Max RT(ms): {} | Average RT(ms): {:7.3} | Send Failed: {} | Response Failed: {}",
                w.rate(counter::ACKNOWLEDGED),
                whole_ms(w.max_total_us(SEND_SERIES)),
                w.avg_ms(SEND_SERIES),
                w.total(counter::SEND_FAILED),
                w.total(counter::RESPONSE_FAILED),
            ),
            None => format!(
                "[Complete] Send Total: {send_total} Send Failed: {} Response Failed: {}",
                total(counter::SEND_FAILED),
                total(counter::RESPONSE_FAILED),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Stats, test_ring};

    #[test]
    fn lines_have_the_java_5_layout() {
        let stats = Stats::new(&PRODUCER_LAYOUT);
        let rec = stats.recorder();
        let ring = test_ring(&stats, || {
            stats.add(counter::ACKNOWLEDGED, 1000);
            stats.add(counter::SEND_FAILED, 2);
            stats.add(counter::RESPONSE_FAILED, 1);
            rec.record(SEND_SERIES, Duration::from_micros(2500));
            rec.record(SEND_SERIES, Duration::from_micros(4500));
        });
        let w = ring.window().unwrap();
        assert_eq!(
            ProducerReport.line(&w),
            "Current Time: 2026-11-18 11:06:41,000 | Send TPS: 1000 | Max RT(ms): 4 | \
             Average RT(ms):   3.500 | Send Failed: 2 | Response Failed: 1"
        );
        let last = ring.last().unwrap();
        assert_eq!(
            ProducerReport.complete(Some(&w), last).unwrap(),
            "[Complete] Send Total: 1002 | Send TPS: 1000 | Max RT(ms): 4 | \
             Average RT(ms):   3.500 | Send Failed: 2 | Response Failed: 1"
        );
        assert_eq!(
            ProducerReport.complete(None, last).unwrap(),
            "[Complete] Send Total: 1002 Send Failed: 2 Response Failed: 1"
        );
    }
}
