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
    AutoBatchArgs, BACKOFF, CompressArgs, PRODUCER_LAYOUT, SEND_SERIES, SendFigures, counter,
    drive, producers, record_failure, record_send, send_one,
};
use crate::cli::{AclArgs, CommonArgs, MessageArgs, java_bool};
use crate::report::{Report, human_time};
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Recorder, Snapshot, Window};
use crate::target::Target;

/// Java's producer group for the benchmark.
const GROUP: &str = "benchmark_producer";
/// Async sends a worker keeps in flight (Java's tool allows 10 000 queued; the SDK's own
/// in-flight limit applies first).
const ASYNC_WINDOW: usize = 10_000;

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
    #[command(flatten)]
    #[serde(flatten)]
    pub(crate) message: MessageArgs,
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
    pub(crate) batching: AutoBatchArgs,
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
        args.message.add_properties(&mut template)?;
        Ok(Shape {
            template,
            keys: args.message.keys,
            tag_count: args.message.tag_count,
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

/// Runs the mode.
pub(crate) async fn run(args: ProducerArgs) -> anyhow::Result<()> {
    args.message.msg_trace.check()?;
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
        Some(&args.batching),
    )
    .await?;
    let workers = if args.async_send { 1 } else { args.threads };
    eprintln!(
        "perf-tool producer: topic {}, {} {} worker(s), {}-byte bodies, quantity {}, connections {}{}",
        args.topic,
        workers,
        if args.async_send { "async" } else { "sync" },
        shape.template.body().len(),
        args.quantity,
        producers.len(),
        if args.batching.auto_batch {
            ", auto-batch"
        } else {
            ""
        }
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
    let async_send = args.async_send;
    drive(
        run,
        producers,
        target,
        workers,
        |_, producer, pacer, recorder| {
            let shape = shape.clone();
            async move {
                if async_send {
                    async_worker(producer, shape, pacer, recorder).await;
                } else {
                    sync_worker(producer, shape, pacer, recorder).await;
                }
                Ok(())
            }
        },
    )
    .await
}

/// Sends one message at a time, waiting for each.
async fn sync_worker(producer: Producer, shape: Shape, pacer: Pacer, recorder: Recorder) {
    while pacer.next().await {
        let msg = shape.message();
        let measured = pacer.is_measuring();
        send_one(&producer, msg, measured, &recorder, &pacer, BACKOFF).await;
    }
}

/// Keeps up to [`ASYNC_WINDOW`] sends in flight.
async fn async_worker(producer: Producer, shape: Shape, pacer: Pacer, recorder: Recorder) {
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
                        pacer.pause(BACKOFF).await;
                    }
                }
            }
        }
    }
}

/// Java 5.x `Producer` lines.
#[derive(Debug)]
struct ProducerReport;

/// The figures both lines end with.
fn figures(w: &Window<'_>) -> String {
    let f = SendFigures::of(w);
    format!(
        "Send TPS: {} | Max RT(ms): {} | Average RT(ms): {:7.3} | Send Failed: {} | Response Failed: {}",
        f.tps, f.max_ms, f.avg_ms, f.send_failed, f.response_failed,
    )
}

impl Report for ProducerReport {
    fn line(&self, w: &Window<'_>) -> String {
        format!("Current Time: {} | {}", human_time(w.wall()), figures(w))
    }

    fn complete(&self, w: Option<&Window<'_>>, last: &Snapshot) -> Option<String> {
        let total = |i: usize| last.counters.get(i).copied().unwrap_or(0);
        // Java's "Send Total" is requests that went out fine plus those that failed to go out.
        let send_total = total(counter::ACKNOWLEDGED) + total(counter::SEND_FAILED);
        Some(match w {
            Some(w) => format!("[Complete] Send Total: {send_total} | {}", figures(w)),
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
