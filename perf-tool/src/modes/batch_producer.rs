//! `perf-tool batch-producer`: Java's benchmark `BatchProducer` (5.x flags, defaults and
//! line) on the SDK's [`Producer::send_batch`]. Java's tool has no quantity bound; here
//! `-q` counts messages and is rounded up to whole batches.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use rocketmq::producer::{Producer, SendStatus};
use rocketmq::protocol::message::Message;
use serde::Serialize;

use super::send::{BACKOFF, CompressArgs, drive, producers};
use crate::cli::{AclArgs, CommonArgs, MessageArgs};
use crate::report::{Report, human_time, whole_ms};
use crate::run::{Pacer, Run, RunSpec};
use crate::stats::{Layout, Recorder, Window};
use crate::target::Target;

/// Java's producer group for this tool.
const GROUP: &str = "benchmark_batch_producer";

/// Messages sent (in batches started).
const SENT: usize = 0;
/// Messages in batches the broker stored with `SEND_OK`.
const ACKNOWLEDGED: usize = 1;
/// Messages in batches that failed or were stored with another status.
const FAILED: usize = 2;
/// Batches stored with `SEND_OK`.
const BATCHES_OK: usize = 3;
/// Batches that failed.
const BATCHES_FAILED: usize = 4;
/// Latency of a batch request.
const BATCH_RT: usize = 0;

static LAYOUT: Layout = Layout {
    counters: &[
        "sent",
        "acknowledged",
        "failed",
        "batches_acknowledged",
        "batches_failed",
    ],
    series: &["batch"],
};

/// Flags of `perf-tool batch-producer` (Java's `benchmark.BatchProducer`). Keys and tags
/// are stamped per batch, and the help of `-k`/`-l` says so.
#[derive(Args, Clone, Debug, Serialize)]
#[command(
    mut_arg("keys", |a| a.help("Set a key on each message (the batch's second since the epoch)")),
    mut_arg("tag_count", |a| a.help("Tag the messages `tag<n % N>` with n counting up (0: no tag)")),
)]
pub(crate) struct BatchProducerArgs {
    /// Topic to send to.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub(crate) topic: String,
    /// Sending workers.
    #[arg(short = 'w', long = "threadCount", default_value_t = 64)]
    pub(crate) threads: usize,
    /// Body size in bytes (ignored with --body-file).
    #[arg(short = 's', long = "messageSize", default_value_t = 128)]
    pub(crate) size: usize,
    /// Messages per batch.
    #[arg(short = 'b', long = "batchSize", default_value_t = 16)]
    pub(crate) batch: usize,
    #[command(flatten)]
    #[serde(flatten)]
    pub(crate) message: MessageArgs,
    /// Messages to send in all, rounded up to whole batches (0: until --duration or
    /// Ctrl-C).
    #[arg(short = 'q', long = "messageQuantity", default_value_t = 0)]
    pub(crate) quantity: u64,
    #[command(flatten)]
    pub(crate) compress: CompressArgs,
    #[command(flatten)]
    pub(crate) acl: AclArgs,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// Makes the batches.
#[derive(Clone, Debug)]
struct Shape {
    template: Message,
    batch: usize,
    keys: bool,
    tag_count: u64,
}

impl Shape {
    fn batch(&self, tag_start: u64) -> Vec<Message> {
        let key = self.keys.then(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs()
                .to_string()
        });
        (0..self.batch as u64)
            .map(|i| {
                let mut msg = self.template.clone();
                if let Some(k) = &key {
                    msg.set_keys([k.as_str()]);
                }
                if self.tag_count > 0 {
                    msg.set_tags(format!("tag{}", (tag_start + i) % self.tag_count));
                }
                msg
            })
            .collect()
    }
}

/// Runs the mode.
pub(crate) async fn run(args: BatchProducerArgs) -> anyhow::Result<()> {
    args.message.msg_trace.check()?;
    args.common.validate()?;
    anyhow::ensure!(args.threads >= 1, "-w/--threadCount must be at least 1");
    anyhow::ensure!(args.batch >= 1, "-b/--batchSize must be at least 1");
    anyhow::ensure!(!args.topic.trim().is_empty(), "-t/--topic is empty");
    let mut template = Message::new(args.topic.trim(), args.common.body(args.size)?);
    args.message.add_properties(&mut template)?;
    let shape = Shape {
        template,
        batch: args.batch,
        keys: args.message.keys,
        tag_count: args.message.tag_count,
    };
    let target = Target::resolve(args.common.namesrv.as_deref()).await?;
    let producers = producers(
        &args.common,
        &args.acl,
        &target,
        GROUP,
        Some(&args.compress),
        None,
    )
    .await?;
    eprintln!(
        "perf-tool batch-producer: topic {}, {} worker(s), batches of {} x {}-byte bodies, quantity {}",
        args.topic,
        args.threads,
        args.batch,
        shape.template.body().len(),
        args.quantity
    );
    let run = Run::start(
        RunSpec {
            mode: "batch-producer",
            layout: &LAYOUT,
            main_counter: ACKNOWLEDGED,
            main_series: BATCH_RT,
            quantity: args.quantity.div_ceil(args.batch as u64),
            config: serde_json::to_value(&args)?,
            report: Box::new(BatchReport),
        },
        &args.common,
        &target,
    );
    drive(
        run,
        producers,
        target,
        args.threads,
        |_, producer, pacer, recorder| worker(producer, shape.clone(), pacer, recorder),
    )
    .await
}

/// Sends one batch at a time, waiting for each.
async fn worker(
    producer: Producer,
    shape: Shape,
    pacer: Pacer,
    recorder: Recorder,
) -> anyhow::Result<()> {
    let stats = Arc::clone(recorder.stats());
    let n = shape.batch as u64;
    while pacer.next().await {
        let batch = shape.batch(stats.counter(ACKNOWLEDGED));
        let measured = pacer.is_measuring();
        if measured {
            stats.add(SENT, n);
        }
        let began = Instant::now();
        let outcome = producer.send_batch(batch).await;
        match outcome {
            Err(_) if !measured => pacer.pause(BACKOFF).await,
            _ if !measured => {}
            Ok(result) => {
                // Java adds the time of every answered batch, stored cleanly or not.
                recorder.record(BATCH_RT, began.elapsed());
                if result.status == SendStatus::SendOk {
                    stats.add(ACKNOWLEDGED, n);
                    stats.add(BATCHES_OK, 1);
                } else {
                    stats.note(&format!("send status {:?}", result.status));
                    stats.add(FAILED, n);
                    stats.add(BATCHES_FAILED, 1);
                }
            }
            Err(e) => {
                stats.fail(&e);
                stats.add(FAILED, n);
                stats.add(BATCHES_FAILED, 1);
                pacer.pause(BACKOFF).await;
            }
        }
    }
    Ok(())
}

/// Java 5.x `BatchProducer` lines (the Java tool has no complete line).
#[derive(Debug)]
struct BatchReport;

impl Report for BatchReport {
    fn line(&self, w: &Window<'_>) -> String {
        let sum = w.sum_ms(BATCH_RT);
        format!(
            "Current Time: {} | Send TPS: {} | Send MPS: {} | Max RT(ms): {} | Average RT(ms): {:7.3} | Average Message RT(ms): {:7.3} | Send Failed: {} | Send Message Failed: {}",
            human_time(w.wall()),
            w.rate(BATCHES_OK),
            w.rate(ACKNOWLEDGED),
            whole_ms(w.max_total_us(BATCH_RT)),
            sum / w.delta(BATCHES_OK) as f64,
            sum / w.delta(ACKNOWLEDGED) as f64,
            w.total(BATCHES_FAILED),
            w.total(FAILED),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Stats, test_ring};

    #[test]
    fn lines_have_the_java_5_layout() {
        let stats = Stats::new(&LAYOUT);
        let rec = stats.recorder();
        let ring = test_ring(&stats, || {
            stats.add(BATCHES_OK, 100);
            stats.add(ACKNOWLEDGED, 1600);
            stats.add(BATCHES_FAILED, 1);
            stats.add(FAILED, 16);
            for _ in 0..100 {
                rec.record(BATCH_RT, Duration::from_millis(8));
            }
        });
        assert_eq!(
            BatchReport.line(&ring.window().unwrap()),
            "Current Time: 2026-11-18 11:06:41,000 | Send TPS: 100 | Send MPS: 1600 | Max RT(ms): 8 | \
             Average RT(ms):   8.000 | Average Message RT(ms):   0.500 | Send Failed: 1 | Send Message Failed: 16"
        );
    }
}
